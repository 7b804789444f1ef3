"""The machine's ceiling: the model's matmul work counted from the graph, and throughput on real kernels."""

import json

import pytest

from claimnet.evaluation.ceiling import ceiling, fraction_of_ceiling, model_work


def test_model_work_counts_every_weight_product_and_attention(export_dir):
    config = json.loads((export_dir / "config.json").read_text())
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    work = model_work(export_dir / "onnx" / "model.onnx", [10, 30])
    encoder = layers * (4 * h * h + 2 * h * i)  # q, k, v, output; the two feed-forward products
    assert work["hidden"] == h and work["attention_layers"] == layers
    # the pooler (h x h) and the classifier (h x labels) may be MatMuls too; nothing else is
    assert encoder <= work["weight_macs_per_token"] <= encoder + h * h + h * len(config["id2label"])
    per_token = work["weight_macs_per_token"]
    expected = (2 * (10 * per_token + layers * 2 * 100 * h) + 2 * (30 * per_token + layers * 2 * 900 * h)) / 2
    assert work["ops_per_sentence"] == pytest.approx(expected)


def test_ceiling_turns_throughput_into_sentences_per_second(export_dir):
    figures = ceiling(export_dir / "onnx" / "model.onnx", [20] * 5, threads=1, seconds=0.05)
    for precision in ("int8", "fp32", "bf16"):
        rate = figures["ops_per_s"][precision]
        assert rate > 1e8  # a real kernel ran
        assert figures["sentences_per_s"][precision] == pytest.approx(
            rate / figures["work"]["ops_per_sentence"], rel=1e-3, abs=0.1)
    limit = figures["sentences_per_s"]["int8"]
    assert fraction_of_ceiling("onnx-int8", limit / 2, figures) == pytest.approx(0.5, abs=1e-3)
    assert fraction_of_ceiling("torch-bf16", 0.0, figures) == 0.0
