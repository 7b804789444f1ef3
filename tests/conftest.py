"""Shared fixtures: real Hydra configs, shrunk for speed, and one tiny trained export.

Like lightning-hydra-template's conftest: compose ``train.yaml`` once, shrink it
(the ``smoke`` experiment: a 2-layer random BERT, 8 articles, 4 steps), and give
each test its own output folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
V1_EXPORT = FIXTURES / "v1-export"  # a tiny export in manifest format version 1 (fixtures/make_v1_export.py)
CONFIG_DIR = str(ROOT / "configs")
DATA_DIR = ROOT / "data" / "claimnet-wikinews"
LABELS = ["attribution", "hedge", "claim", "background"]
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


def compose(config_name: str = "train", overrides: list[str] | None = None):
    """A job's config as the commands compose it (schema checks of the overrides included)."""
    from claimnet.tasks.runner import compose_job

    return compose_job(config_name, overrides or [], resolve_outputs=False)


@pytest.fixture
def smoke_cfg(tmp_path):
    """train.yaml with the smoke experiment, writing into tmp_path."""
    return compose("train", ["experiment=smoke", f"run_dir={tmp_path / 'run'}", f"paths.output_dir={tmp_path}"])


def run_script(script: str, *overrides: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *overrides],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=600,
    )


def run_cli(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "claimnet.cli", *args], capture_output=True, input=input, timeout=300,
    )


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One tiny model trained through scripts/train.py, exported and evaluated; shared by tests."""
    out = tmp_path_factory.mktemp("outputs")
    proc = run_script("train.py", "experiment=smoke", f"paths.output_dir={out}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = (out / "latest").resolve()
    assert (run / "export" / "claimnet.json").exists()
    (run / "stdout.txt").write_text(proc.stdout)
    return run


@pytest.fixture(scope="session")
def export_dir(trained_run) -> Path:
    return trained_run / "export"


@pytest.fixture(scope="session")
def test_article() -> dict:
    with open(DATA_DIR / "test.jsonl", encoding="utf-8") as fh:
        return json.loads(fh.readline())


def rewrite_as_v2(tmp_path: Path, segmentation=None, context_window: int = 2, **overrides) -> Path:
    """A copy of the v1 fixture (or the export already in ``tmp_path``) with a version-2 manifest.

    ``overrides`` set manifest fields by path, ``model__kind="article"`` for ``model.kind``.
    """
    from claimnet.export.manifest import manifest_fields, tokenizer_fields, write_manifest
    from claimnet.labels import LabelSet
    from claimnet.runtime.segmentation import DEFAULT_SETTINGS

    export = tmp_path / "export"
    if not export.exists():
        shutil.copytree(V1_EXPORT, export)
    fields = manifest_fields(labels=LabelSet.from_names(["attribution", "hedge", "claim", "background"]),
                             base_model="tiny", context_window=context_window, max_length=40,
                             tokenizer=tokenizer_fields(export, 0), segmentation=segmentation or DEFAULT_SETTINGS,
                             run={})
    for dotted, value in overrides.items():
        *path, key = dotted.split("__")
        node = fields
        for part in path:
            node = node[part]
        node[key] = value
    write_manifest(export, fields)
    return export
