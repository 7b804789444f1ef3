"""What tests share that is not a fixture: the project's paths, composing real configs, running the scripts
and the CLI in a subprocess, and rewriting the version-1 fixture with a current manifest.

A plain module (``from helpers import ...``); the fixtures are in ``conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
V1_EXPORT = FIXTURES / "v1-export"  # a tiny export in manifest format version 1 (fixtures/make_v1_export.py)
CONFIG_DIR = str(ROOT / "configs")
DATA_DIR = ROOT / "data" / "claimnet-wikinews"
LABELS = ["attribution", "hedge", "claim", "background"]


def compose(config_name: str = "train", overrides: list[str] | None = None):
    """A job's config as the commands compose it (schema checks of the overrides included)."""
    from claimnet.tasks.runner import compose_job

    return compose_job(config_name, overrides or [], resolve_outputs=False)


def run_script(script: str, *overrides: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *overrides],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=600,
    )


def run_cli(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "claimnet.cli", *args], capture_output=True, input=input, timeout=300,
    )


def rewrite_manifest(tmp_path: Path, segmentation=None, context_window: int = 2, **overrides) -> Path:
    """A copy of the v1 fixture (or the export already in ``tmp_path``) with a manifest in the current format.

    ``overrides`` set manifest fields by path, ``model__kind="article"`` for ``model.kind``.
    """
    from claimnet.exporters.manifest import manifest_fields, tokenizer_fields, write_manifest
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
