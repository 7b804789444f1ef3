"""torchrun with 2 CPU processes (gloo): one run folder, one export, metrics over the whole splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from claimnet.data import load_articles
from claimnet.data.jsonl import write_articles
from helpers import DATA_DIR, LABELS, ROOT, run_script


def torchrun(nproc: int, *overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
         str(ROOT / "scripts" / "train.py"), *overrides],
        capture_output=True, text=True, env=env, timeout=600,
    )


def test_two_gloo_processes_write_one_run_whose_metrics_a_single_process_reproduces(tmp_path):
    out = tmp_path / "outputs"
    proc = torchrun(2, "experiment=smoke", "trainer=ddp", f"paths.output_dir={out}", "evaluation.baselines=false")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    runs = list((out / "runs").iterdir())
    assert len(runs) == 1, f"every rank must write into rank 0's folder, got {runs}"
    run = runs[0]
    assert (out / "latest").resolve() == run and not (out / "running").exists()
    assert [p.parent.name for p in out.rglob("claimnet.json")] == ["export"]
    assert not list(run.glob(".export-*"))
    log = (run / "train.log").read_text()
    assert log.count("Training took") == 1, "only rank 0 writes the log"
    assert "2 processes" in log
    summary = json.loads((run / "summary.json").read_text())
    assert summary["training"]["processes"] == 2
    manifest = json.loads((run / "export" / "claimnet.json").read_text())
    recorded = manifest["metrics"]["test"]

    # The same 8 test articles the smoke run evaluated, scored afterwards by one process.
    test_slice = tmp_path / "test-slice.jsonl"
    write_articles(test_slice, load_articles(DATA_DIR / "test.jsonl", LABELS)[:8])
    report = tmp_path / "report"
    proc = run_script("evaluate.py", f"model_path={run / 'export'}", f"data_path={test_slice}",
                      f"output_dir={report}", "evaluation.baselines=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads((report / "metrics.json").read_text())
    assert again["sentences"] == sum(len(a.sentences) for a in load_articles(test_slice, LABELS))
    assert again["macro_f1"] == recorded["macro_f1"]
    assert again["per_label"] == recorded["per_label"]
