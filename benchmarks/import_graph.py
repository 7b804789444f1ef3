"""Print claimnet's import graph figures: modules, imports between packages, cycles.

Usage: ``python benchmarks/import_graph.py [SRC_DIR]`` (default: this checkout's ``src``).
Lazy imports inside functions count too (grimp reads every import statement).
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp


def top(module: str) -> str:
    """The package a module belongs to: ``claimnet.runtime.tagger`` -> ``claimnet.runtime``."""
    parts = module.split(".")
    return ".".join(parts[:2])


def main(src: str) -> None:
    sys.path.insert(0, src)
    graph = grimp.build_graph("claimnet", cache_dir=None)
    modules = sorted(m for m in graph.modules if m != "claimnet")
    edges = {(a, b) for a in modules for b in graph.find_modules_directly_imported_by(a) if b in graph.modules}
    cross = {(a, b) for a, b in edges if top(a) != top(b)}
    packages = {top(m) for m in modules}
    package_edges = {(top(a), top(b)) for a, b in cross}
    # Cycles between modules: strongly connected components with more than one module.
    cyclic = [c for c in strongly_connected(modules, edges) if len(c) > 1]
    package_cycles = [c for c in strongly_connected(sorted(packages), package_edges) if len(c) > 1]
    print(f"modules: {len(modules)} in {len(packages)} top-level packages/modules")
    print(f"imports between modules: {len(edges)}; between top-level packages: {len(cross)} "
          f"({len(package_edges)} package pairs)")
    print(f"module cycles: {len(cyclic)} {[sorted(c) for c in cyclic]}")
    print(f"package cycles: {len(package_cycles)} {[sorted(c) for c in package_cycles]}")


def strongly_connected(nodes, edges) -> list[set]:
    """Tarjan's strongly connected components (a component of more than one module is an import cycle)."""
    succ = {n: [] for n in nodes}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for n in nodes:
        if n not in index:
            visit(n)
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[1] / "src"))
