"""Every ``configs/experiment/*.yaml`` runs end to end through scripts/train.py (slow: one training each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import CONFIG_DIR, run_script

EXPERIMENTS = sorted(Path(CONFIG_DIR, "experiment").glob("*.yaml"))
# Shrink any experiment to seconds without touching what it is about.
SHRINK = ["data.limit_articles=4", "trainer.max_steps=2", "trainer.eval_strategy=steps", "trainer.eval_steps=1",
          "trainer.progress_bar=false", "evaluation.bootstrap_resamples=10", "logger=none"]


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_trains_exports_and_evaluates(path, tmp_path):
    overrides = [f"experiment={path.stem}", f"paths.output_dir={tmp_path}", *SHRINK]
    if "override /model" not in path.read_text():
        overrides.append("model=tiny")  # the experiment keeps its own model settings on top of a tiny model
    proc = run_script("train.py", *overrides)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    run = (tmp_path / "latest").resolve()
    manifest = json.loads((run / "export" / "claimnet.json").read_text())
    config = (run / "config.yaml").read_text()
    assert f"context_window: {manifest['model']['context_window']}" in config
    assert (run / "eval" / "test" / "metrics.json").is_file()
