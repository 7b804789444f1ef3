"""The benchmark's profile: stages that add up to the path's time, kernels sorted into what they do."""

from __future__ import annotations

import pytest

from claimnet import ClaimTagger
from claimnet.evaluation.profile import kernel_seconds, profile_lines, where_time_goes


def kernel(name: str, op: str, microseconds: int) -> dict:
    return {"cat": "Node", "name": name + "_kernel_time", "dur": microseconds, "args": {"op_name": op}}


def test_kernels_are_sorted_into_matmuls_the_int8_graphs_own_nodes_and_op_types():
    trace = [kernel("node_linear", "MatMul", 300), kernel("int8/tw0_acc", "MatMulInteger", 500),
             kernel("int8/tw0_in_abs", "Abs", 100), kernel("int8/tw0_cols", "Mul", 50),
             kernel("node_mul_3", "Mul", 40), kernel("node_ln", "LayerNormalization", 10),
             {"cat": "Session", "name": "model_run", "dur": 99999, "args": {}}]
    seconds = kernel_seconds(trace)
    assert seconds == pytest.approx({"matmul": 8e-4, "int8 quantize/dequantize": 1.5e-4, "Mul": 4e-5,
                                     "LayerNormalization": 1e-5})


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_the_profile_splits_a_paths_time_into_stages_and_kernels(export_dir, test_article, precision):
    tagger = ClaimTagger.load(export_dir, precision=precision)
    ceiling = {"sentences_per_s": {precision: 1e5}}
    p = where_time_goes(tagger, [test_article["text"]] * 3, ceiling, rounds=1)
    assert p["path"] == f"onnx-{precision}" and p["sentences"] > 3
    assert set(p["seconds"]) == {"segmentation", "tokenisation", "model", "rest"}
    assert all(v >= 0 for v in p["seconds"].values()) and p["seconds"]["model"] > 0
    assert (p["padding_fraction"] == 0) == (precision == "int8")  # int8 runs equal-length groups, fp32 pads
    kinds = p["kernels"]["shares"]
    assert kinds["matmul"] > 0 and sum(kinds.values()) == pytest.approx(1, abs=0.01)
    assert ("int8 quantize/dequantize" in kinds) == (precision == "int8")
    assert p["ideal_seconds"] == pytest.approx(p["sentences"] / 1e5, abs=1e-4)
    assert "time goes" in profile_lines(p)[0]
