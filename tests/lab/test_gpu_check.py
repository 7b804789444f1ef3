"""The GPU check (``python -m benchmarks gpu``) runs its whole code path on CPU in dry mode and writes its report."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import ROOT


def test_the_gpu_check_dry_run_measures_every_path_and_the_torchrun_step(tmp_path):
    out = tmp_path / "gpu.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "gpu", "--dry", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["dry"] is True and report["machine"]["torch"]
    for shape in ("minilm", "mpnet"):
        row = report[shape]
        for key in ("train_claimnet_bf16_sentences_per_s", "train_standard_fp32_pad128_sentences_per_s",
                    "tag_torch_bf16_sentences_per_s", "tag_pipeline_sentences_per_s"):
            assert row[key] > 0, (shape, key)
        assert row["tag_onnxruntime"]["available"] in (True, False)
    assert report["torchrun"]["ok"] and report["torchrun"]["backend"] == "gloo", report["torchrun"]
    assert report["torchrun"]["all_reduce"] == 1.0
    assert "torchrun gloo: ok" in proc.stdout


def test_without_a_gpu_and_without_dry_it_says_so(tmp_path):
    import torch

    if torch.cuda.is_available():  # a GPU host runs the real check instead
        return
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "gpu", "--out", str(tmp_path / "x.json")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "no CUDA device here; --dry" in proc.stderr
    assert not (tmp_path / "x.json").exists()
