"""``claimnet bench`` times an export on every path; a crashed path fails it; the lab's recipe benchmark runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from claimnet import ClaimTagger
from claimnet.errors import ClaimnetError
from claimnet.evaluation.speed import tagging
from claimnet.tasks.bench import check_paths
from helpers import ROOT, run_script

PATHS = ("pipeline", "onnx-fp32", "onnx-int8", "torch-fp32")


def test_bench_times_an_export_on_every_path_against_the_ceiling(export_dir, tmp_path):
    out = tmp_path / "bench.json"
    proc = run_script("bench.py", "quick=true", f"model_path={export_dir.parent}", f"out={out}", "articles=3",
                      "rounds=2", "settle_seconds=0", f"paths.output_dir={tmp_path}", "memory_article_mb=0.05")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    t = report["tagging"]
    assert set(PATHS) - ({"onnx-int8"} if "int8_left_out" in t else set()) <= set(t["paths"])
    for name, path in t["paths"].items():
        assert "error" not in path, (name, path)
        assert path["sentences_per_s"] > 0 and 0 <= path["agreement"] <= 1, name
        per_round = path["rounds_sentences_per_s"]  # every path in every round; its figure is the median
        assert len(per_round) == t["rounds"] == 2, name
        assert path["sentences_per_s"] == pytest.approx(sum(per_round) / 2, abs=0.051), name
        ceiling = t["ceiling"]["sentences_per_s"]["int8" if name.endswith("int8") else "fp32"]
        if not name.endswith("bf16"):  # each path against its own precision's ceiling
            assert path["fraction_of_ceiling"] == pytest.approx(path["sentences_per_s"] / ceiling, abs=1e-3), name
    assert t["auto"] == ClaimTagger.load(export_dir).backend_name  # the headline is the path a user gets
    assert t["speedup"] == t["paths"][t["auto"]]["speedup"]
    assert report["machine"]["host_kind"] in ("avx2", "avx512", "amx") and report["machine"]["cpu_count"] >= 1
    assert "of ceiling" in proc.stdout
    for name, row in t["memory"].items():  # a fresh process per path: the test split and a streamed article
        assert set(row) == {"test_split", "article_0.05mb"}, (name, row)
        assert all(r["peak_rss_mb"] > 50 and r["sentences"] > 0 for r in row.values()), (name, row)
    assert row["article_0.05mb"]["sentences"] > row["test_split"]["sentences"]
    assert "a fresh process per path" in proc.stdout
    profile = t["profile"]  # where the shipped path's time goes, stage by stage and kernel by kernel
    assert profile["path"] == t["auto"] and set(profile["seconds"]) == {"segmentation", "tokenisation", "model", "rest"}
    assert sum(profile["seconds"].values()) >= profile["total_seconds"] * 0.99
    assert profile["kernels"]["shares"]["matmul"] > 0 and 0 <= profile["kernels"]["idle_fraction"] < 1
    assert 0 < profile["fraction_of_ceiling"]["end_to_end"] < profile["fraction_of_ceiling"]["model_alone"] <= 1
    assert f"where {t['auto']}'s time goes" in proc.stdout


def test_a_crashed_tagging_path_fails_the_benchmark(export_dir, test_article):
    report = {"tagging": tagging(export_dir, [test_article["text"]], None, [("onnx", "fp32"), ("onnx", "bf16")],
                                 rounds=1, settle_seconds=0)}
    assert "sentences_per_s" in report["tagging"]["paths"]["onnx-fp32"]
    assert "needs the torch backend" in report["tagging"]["paths"]["onnx-bf16"]["error"]
    with pytest.raises(ClaimnetError, match="onnx-bf16"):
        check_paths(report)


@pytest.mark.slow
def test_the_labs_recipe_benchmark_trains_a_b_and_tags(tmp_path):
    out = tmp_path / "recipe.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "recipe", "quick=true", f"out={out}",
                           f"recipe.work_dir={tmp_path / 'work'}", "recipe.context_run=false"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["training"]["speedup"] > 0 and {"recipe", "claimnet"} <= set(report["training"]["runs"])
    assert "speedup (b)/(a)" in proc.stdout
