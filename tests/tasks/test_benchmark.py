"""The benchmark script runs end to end in its quick mode, and a crashed tagging path fails it."""

from __future__ import annotations

import json

import pytest

from claimnet import ClaimTagger
from claimnet.errors import ClaimnetError
from claimnet.evaluation.speed import tagging
from claimnet.tasks.benchmark import check_paths
from conftest import run_script

PATHS = ("pipeline", "onnx-fp32", "onnx-int8", "torch-fp32")


def test_quick_benchmark_writes_the_report(tmp_path):
    out = tmp_path / "bench.json"
    proc = run_script("benchmark.py", "quick=true", f"out={out}", f"paths.output_dir={tmp_path}",
                      "benchmark.context_run=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert report["training"]["speedup"] > 0
    runs = report["training"]["runs"]
    assert {"recipe", "claimnet"} <= set(runs)
    for run in runs.values():
        for key in ("seconds", "sentences_per_s", "real_tokens_per_s", "peak_rss_mb", "dev_macro_f1"):
            assert run[key] >= 0, key
    tagging_report = report["tagging"]
    assert set(PATHS) <= set(tagging_report["paths"])
    for name, path in tagging_report["paths"].items():
        assert "error" not in path, (name, path)
        assert path["sentences_per_s"] > 0 and 0 <= path["agreement"] <= 1, name
        per_round = path["rounds_sentences_per_s"]  # every path in every round; its figure is the median
        assert len(per_round) == tagging_report["rounds"] == 2, name
        assert path["sentences_per_s"] == pytest.approx(sum(per_round) / 2, abs=0.051), name
        ceiling = tagging_report["ceiling"]["sentences_per_s"]["int8" if name.endswith("int8") else "fp32"]
        if not name.endswith("bf16"):  # each path against its own precision's ceiling
            assert path["fraction_of_ceiling"] == pytest.approx(path["sentences_per_s"] / ceiling, abs=1e-3), name
    auto = ClaimTagger.load(tmp_path / "benchmark-work" / "claimnet-default" / "export").backend_name
    assert tagging_report["auto"] == auto  # the headline is the path a user gets
    assert tagging_report["speedup"] == tagging_report["paths"][auto]["speedup"]
    assert tagging_report["segmentation"]["speedup_vs_pysbd"] > 0
    assert report["machine"]["cpu_count"] >= 1 and "torch" in report["machine"]["versions"]
    assert "speedup (b)/(a)" in proc.stdout


def test_a_crashed_tagging_path_fails_the_benchmark(export_dir, test_article):
    report = {"tagging": tagging(export_dir, [test_article["text"]], None, [("onnx", "fp32"), ("onnx", "bf16")],
                                 rounds=1, settle_seconds=0)}
    assert "sentences_per_s" in report["tagging"]["paths"]["onnx-fp32"]
    assert "needs the torch backend" in report["tagging"]["paths"]["onnx-bf16"]["error"]
    with pytest.raises(ClaimnetError, match="onnx-bf16"):
        check_paths(report)


def test_benchmark_times_an_existing_export(export_dir, tmp_path):
    out = tmp_path / "bench.json"
    proc = run_script("benchmark.py", "quick=true", f"model_path={export_dir.parent}", f"out={out}",
                      f"paths.output_dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["training"] is None
    assert report["tagging"]["auto"] == ClaimTagger.load(export_dir).backend_name
    assert "speedup (b)/(a)" not in proc.stdout
