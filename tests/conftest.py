"""Shared fixtures: real Hydra configs, shrunk for speed, and one tiny trained export.

Like lightning-hydra-template's conftest: compose ``train.yaml``, shrink it
(the ``smoke`` experiment: a 2-layer random BERT, 8 articles, 4 steps), and give
each test its own output folder. Helpers that are not fixtures live in ``helpers.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

from helpers import DATA_DIR, ROOT, compose, run_script

os.environ.setdefault("CLAIMNET_ROOT", str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Property tests: the `ci` profile (default) is bounded and deterministic so the fast suite stays fast;
# HYPOTHESIS_PROFILE=thorough searches longer.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _outputs_outside_the_repository(tmp_path_factory):
    """Scripts run by tests write their Hydra folders into a temporary place, not ./outputs."""
    os.environ["CLAIMNET_OUTPUT_DIR"] = str(tmp_path_factory.mktemp("claimnet-outputs"))


@pytest.fixture
def smoke_cfg(tmp_path):
    """train.yaml with the smoke experiment, writing into tmp_path."""
    return compose("train", ["experiment=smoke", f"run_dir={tmp_path / 'run'}", f"paths.output_dir={tmp_path}"])






@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One tiny model trained through scripts/train.py, exported and evaluated; shared by tests."""
    out = tmp_path_factory.mktemp("outputs")
    proc = run_script("train.py", "experiment=smoke", f"paths.output_dir={out}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = (out / "latest").resolve()
    assert (run / "export" / "claimnet.json").exists()
    (run / "stdout.txt").write_text(proc.stdout)
    (run / "stderr.txt").write_text(proc.stderr)
    return run


@pytest.fixture(scope="session")
def export_dir(trained_run) -> Path:
    return trained_run / "export"


@pytest.fixture(scope="session")
def test_article() -> dict:
    with open(DATA_DIR / "test.jsonl", encoding="utf-8") as fh:
        return json.loads(fh.readline())



@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """claimnet's own wheel, built once from this checkout."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           str(ROOT), "-w", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("claimnet-*.whl")
    return path
