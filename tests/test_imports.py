"""The package's import graph: no cycles anywhere, and importing a module does nothing but define things."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp


def test_the_package_has_no_import_cycle():
    from benchmarks.import_graph import strongly_connected

    graph = grimp.build_graph("claimnet")
    edges = {(m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m) if i in graph.modules}
    cycles = [c for c in strongly_connected(sorted(graph.modules), edges) if len(c) > 1]
    assert cycles == [], f"import cycles: {[sorted(c) for c in cycles]}"


def test_importing_every_module_registers_nothing_with_hydra_and_sets_no_environment():
    code = (
        "import os, pkgutil, importlib, claimnet\n"
        "before = dict(os.environ)\n"
        "for m in pkgutil.walk_packages(claimnet.__path__, 'claimnet.'):\n"
        "    if not m.name.startswith(('claimnet.serving', 'claimnet.bundled.')) and not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "from omegaconf import OmegaConf\n"
        "from hydra.core.config_store import ConfigStore\n"
        "assert not OmegaConf.has_resolver('claimnet_run_dir'), 'a resolver was registered at import'\n"
        "assert 'train_schema.yaml' not in ConfigStore.instance().repo, 'the schema was stored at import'\n"
        "changed = {k for k in set(os.environ) | set(before) if os.environ.get(k) != before.get(k)}\n"
        "assert not changed, f'importing changed the environment: {sorted(changed)}'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]



def test_the_lab_runs_by_name_and_stays_out_of_the_package():
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "benchmarks"], capture_output=True, text=True, cwd=root, timeout=60)
    assert proc.returncode == 0 and "runtimes" in proc.stdout and "seeds" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "benchmarks", "nope"], capture_output=True, text=True, cwd=root,
                         timeout=60)
    assert bad.returncode == 2 and "no benchmark 'nope'" in bad.stderr
    assert not list((root / "scripts").glob("bench_*")) and not list((root / "docs").glob("*.json"))
