"""The benchmark script runs end to end in its quick mode and writes the promised JSON."""

from __future__ import annotations

import json

from conftest import run_script


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
    tagging = report["tagging"]
    assert {"pipeline", "onnx-fp32", "onnx-int8", "torch-fp32"} <= set(tagging["paths"])
    assert tagging["speedup"] > 0 and 0.97 <= tagging["agreement"] <= 1
    assert tagging["segmentation"]["sentences_per_s"] > 0
    assert report["machine"]["cpu_count"] >= 1 and "torch" in report["machine"]["versions"]
    assert "speedup (b)/(a)" in proc.stdout
