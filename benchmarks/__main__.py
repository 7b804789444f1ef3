"""``python -m benchmarks NAME [ARGS]``: run one benchmark of the lab; without a name, list them."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> dict[str, str]:
    """Each benchmark's name and the first line of its docstring."""
    out = {}
    for path in sorted(HERE.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        doc = text.split('"""')[1].strip().splitlines()[0] if text.startswith('"""') else ""
        out[path.stem] = doc
    return out


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m benchmarks NAME [ARGS]\n\nbenchmarks:")
        for name, doc in names.items():
            print(f"  {name:<22} {doc}")
        return 0
    if argv[0] not in names:
        print(f"benchmarks: error: no benchmark {argv[0]!r}; one of {sorted(names)}", file=sys.stderr)
        return 2
    sys.argv = [str(HERE / f"{argv[0]}.py"), *argv[1:]]
    runpy.run_path(sys.argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
