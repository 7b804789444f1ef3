"""Token-wise int8: the graph computes what the recipe says, once per activation, close to fp32."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from claimnet.exporters.quantize import NODE_PREFIX, QUANTIZE_OPSET, WEIGHT_LEVELS, quantize_token_wise  # noqa: E402
from claimnet.runtime.backends import ONNX_FILES  # noqa: E402


def run(path, feed):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)


def token_feed(source, shape: tuple[int, int], seed: int) -> dict[str, np.ndarray]:
    """Random token ids of ``shape`` as the graph's inputs (those of ``source`` only)."""
    names = [i.name for i in ort.InferenceSession(str(source), providers=["CPUExecutionProvider"]).get_inputs()]
    ids = np.random.default_rng(seed).integers(1000, 20000, size=shape)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    return {k: v.astype(np.int64) for k, v in feed.items() if k in names}


def reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The recipe in numpy: per-row scale max|x|/127, symmetric; per-column 7-bit weights; both scales back."""
    scale = np.maximum(np.abs(x).max(axis=-1, keepdims=True), 1e-8) / 127.0
    xq = np.clip(np.round(x / scale), -128, 127)
    column = np.maximum(np.abs(w).max(axis=0), 1e-12) / WEIGHT_LEVELS
    wq = np.clip(np.round(w / column), -WEIGHT_LEVELS, WEIGHT_LEVELS)
    return (xq @ wq) * column * scale


def save_matmuls(path, width: int, weights: dict[str, np.ndarray]) -> None:
    """An fp32 graph of ``x`` (rows, width) times each named weight, one output ``y`` + name[1:] per weight."""
    outputs = {name: "y" + name[1:] for name in weights}
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", name], [out]) for name, out in outputs.items()],
        "matmuls", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", width])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["rows", weights[name].shape[1]])
         for name, out in outputs.items()],
        initializer=[numpy_helper.from_array(w, name) for name, w in weights.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)


def test_two_products_of_one_activation_match_the_recipe_and_share_its_quantization(tmp_path):
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(size=(16, 8)).astype(np.float32), rng.normal(size=(16, 4)).astype(np.float32)
    source, target = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    save_matmuls(source, 16, {"w1": w1, "w2": w2})
    assert quantize_token_wise(source, target) == 2
    nodes = onnx.load(target).graph.node
    ops = Counter(n.op_type for n in nodes)
    assert ops["MatMulInteger"] == 2 and ops["QuantizeLinear"] == 1  # x quantized once for both
    assert all(n.name.startswith(NODE_PREFIX) for n in nodes)  # what a profile tells from the model's own nodes
    x = (rng.normal(size=(5, 16)) * rng.uniform(0.1, 10, size=(5, 1))).astype(np.float32)  # rows of unlike range
    y1, y2 = run(target, {"x": x})
    np.testing.assert_allclose(y1, reference(x, w1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y2, reference(x, w2), rtol=1e-5, atol=1e-5)
    alone, _ = run(target, {"x": x[2:3]})
    np.testing.assert_array_equal(alone[0], y1[2])  # a row's result is its own


def test_products_at_full_range_are_exact_on_every_cpu(tmp_path):
    # every activation at its row's maximum and every weight at its column's: the pair sums that saturate
    # 16 bits in onnxruntime's AVX2 u8 x s8 kernel (no VNNI) with 8-bit weights
    w = np.ones((64, 8), np.float32)
    w[:, 1::2] = -1.0
    source, target = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    save_matmuls(source, 64, {"w": w})
    quantize_token_wise(source, target)
    x = np.stack([np.full(64, 3.0), np.full(64, -2.0), np.where(np.arange(64) % 2, 1.0, -1.0)]).astype(np.float32)
    (y,) = run(target, {"x": x})
    np.testing.assert_allclose(y, x @ w, rtol=1e-5, atol=1e-4)


def test_the_exported_encoder_quantizes_each_activation_once_and_stays_near_fp32(export_dir, tmp_path):
    source = export_dir / ONNX_FILES["fp32"]
    target = tmp_path / "model.int8.onnx"
    matmuls = quantize_token_wise(source, target)
    model = onnx.load(target)
    ops = Counter(n.op_type for n in model.graph.node)
    layers = ops["MatMulInteger"] // 6  # query, key, value, output, and the two feed-forward products
    assert matmuls == ops["MatMulInteger"] == 6 * layers and layers >= 1
    # query, key and value read one quantization; in the last layer ([CLS] alone) the query reads the
    # [CLS] row and key and value every token: one quantization more
    assert ops["QuantizeLinear"] == 4 * layers + 1
    # one zero-point tensor for every (batch, tokens) activation, one each for the last layer's [CLS] rows
    assert ops["ConstantOfShape"] == 1 + 4
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= QUANTIZE_OPSET
    feed = token_feed(source, (3, 11), seed=1)
    (fp32,), (int8,) = run(source, feed), run(target, feed)
    assert np.abs(int8 - fp32).max() < 0.05 * max(1.0, np.abs(fp32).max())


def test_the_vocabulary_table_is_stored_int8_with_a_scale_per_row(export_dir, tmp_path):
    source = export_dir / ONNX_FILES["fp32"]
    small, full = tmp_path / "small.onnx", tmp_path / "full.onnx"
    quantize_token_wise(source, small)
    quantize_token_wise(source, full, embeddings="fp32")
    tables = {t.name: t for t in onnx.load(small).graph.initializer}
    assert tables["tw_vocab_table"].data_type == TensorProto.INT8 and tables["tw_vocab_table"].dims[0] >= 30000
    words = next(t for t in onnx.load(source).graph.initializer if t.dims and t.dims[0] >= 30000)
    assert words.name not in tables  # the fp32 table is gone, not kept beside its int8 copy
    assert small.stat().st_size < full.stat().st_size - 0.7 * 4 * np.prod(words.dims)
    table = numpy_helper.to_array(words)
    rows = numpy_helper.to_array(tables["tw_vocab_table"]).astype(np.float32) * numpy_helper.to_array(
        tables["tw_vocab_row_scale"])[:, None]
    assert np.abs(rows - table).max(axis=1).max() <= np.abs(table).max(axis=1).max() / 127 / 2 + 1e-7
    feed = token_feed(source, (2, 9), seed=2)
    (a,), (b,) = run(small, feed), run(full, feed)
    assert np.abs(a - b).max() < 0.02 * max(1.0, np.abs(b).max())


def test_weights_named_to_stay_fp32_keep_their_float_matmul(export_dir, tmp_path):
    from claimnet.exporters.quantize import matmul_weights

    source = export_dir / ONNX_FILES["fp32"]
    names = matmul_weights(source)
    keep = tuple(names[-2:])
    count = quantize_token_wise(source, tmp_path / "mixed.onnx", keep_fp32=keep)
    assert count == len(names) - 2
    model = onnx.load(tmp_path / "mixed.onnx")
    assert {n.input[1] for n in model.graph.node if n.op_type == "MatMul"} >= set(keep)


def test_the_ffn_down_option_keeps_the_feed_forward_output_products_of_n_layers_fp32(export_dir, tmp_path):
    import shutil

    from claimnet.exporters.quantize import ffn_down_weights, matmul_weights, quantize_int8

    folder = tmp_path / "export"
    shutil.copytree(export_dir, folder)
    source = folder / ONNX_FILES["fp32"]
    down = ffn_down_weights(source)
    dims = {t.name: tuple(t.dims) for t in onnx.load(source).graph.initializer}
    assert down and all(dims[n][0] > dims[n][1] for n in down)
    assert len(down) == len(matmul_weights(source)) // 6  # one per layer: the second feed-forward product
    quantize_int8(folder, ffn_down_fp32_layers=-1)
    model = onnx.load(folder / ONNX_FILES["int8"])
    assert {n.input[1] for n in model.graph.node if n.op_type == "MatMul"} >= set(down)
    assert Counter(n.op_type for n in model.graph.node)["MatMulInteger"] == len(matmul_weights(source)) - len(down)
    quantize_int8(folder, ffn_down_fp32_layers=1)  # the lowest layer's alone
    model = onnx.load(folder / ONNX_FILES["int8"])
    assert {n.input[1] for n in model.graph.node if n.op_type == "MatMul"} & set(down) == {down[0]}
    assert Counter(n.op_type for n in model.graph.node)["MatMulInteger"] == len(matmul_weights(source)) - 1
