"""int8 ONNX by token-wise dynamic quantization: each token's activations get their own scale.

onnxruntime's ``quantize_dynamic`` computes one activation scale per tensor, so
a sentence's scores depend on which sentences share its batch (1.35% of test
labels flipped with batch composition) and one outlier token coarsens the whole
batch (97.8% dev agreement with fp32 on the default model). Here every weight
MatMul becomes: per-token scale = max|x| / 127 over the hidden axis, x quantized
symmetric (stored as uint8 around zero point 128, the u8 x s8 form VNNI runs) by
one blocked ``QuantizeLinear``, ``MatMulInteger`` with per-output-column int8
weights, then both scales applied; products of the same activations share their
quantization.
A token's result depends on that token alone: labels are bit-identical alone or
in any batch, and fidelity rose to 99.4% dev / 99.7% test agreement (ZeroQuant's
token-wise activations with per-channel weights). Standard ONNX ops only; the
runtime needs nothing beyond onnxruntime.

Weights use 7 bits (-63..63, ``WEIGHT_LEVELS``): without VNNI (AVX2-only CPUs)
onnxruntime multiplies u8 by s8 with ``vpmaddubsw``, which saturates each pair
sum at 16 bits; 255 x 127 x 2 overflows it and 255 x 63 x 2 cannot, so the graph
computes the same integers on every x86 CPU. With 8-bit weights an export made
on one CPU gave other answers on an AVX2 host (up to 38 off in a product of the
unit test); 7-bit weights measured on that host: dev/test agreement with fp32
0.9903/0.9902 and 0.9889/0.9902 on two exports.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from claimnet.runtime.backends import INT8_NODE_PREFIX as NODE_PREFIX
from claimnet.runtime.backends import ONNX_FILES

EMBEDDING_MIN_ROWS = 1000  # a Gather table this tall is the vocabulary: stored int8 with a scale per row
WEIGHT_LEVELS = 63  # int8 weights in -63..63: no 16-bit saturation in onnxruntime's AVX2 u8 x s8 kernels
QUANTIZE_OPSET = 21  # blocked QuantizeLinear: one scale per token (a block of the hidden axis)
_CONSTANTS = {
    "tw_127": np.array(127.0, np.float32),
    "tw_tiny": np.array(1e-8, np.float32),
    "tw_last_axis": np.array([-1], np.int64),
    "tw_one": np.array([1], np.int64),
    "tw_zero_point": np.array(128, np.uint8),
}


def _zero_point_nodes(helper, tensor_type, shape: str, zero_point: str) -> list:
    """``zero_point``: uint8 128 of the given ``shape`` (blocked QuantizeLinear wants it shaped like the scales)."""
    fill = helper.make_tensor(zero_point + "_value", tensor_type.UINT8, [1], [128])
    return [helper.make_node("ConstantOfShape", [shape], [zero_point], value=fill)]


def _named(nodes: list) -> list:
    """``nodes``, each named after its output under :data:`NODE_PREFIX`."""
    for node in nodes:
        node.name = NODE_PREFIX + node.output[0]
    return nodes


def _shapes(model) -> dict[str, tuple]:
    """The shape of every value the graph states or onnx infers: a dim's name, its size, or None."""
    from onnx import shape_inference

    graph = shape_inference.infer_shapes(model).graph
    return {v.name: tuple(d.dim_param or (d.dim_value if d.HasField("dim_value") else None)
                          for d in v.type.tensor_type.shape.dim)
            for v in [*graph.input, *graph.value_info] if v.type.tensor_type.HasField("shape")}


def _quantize_nodes(helper, tensor_type, x: str, hidden: int, prefix: str,
                    zero_point: str | None) -> tuple[list, str, str]:
    """Nodes quantizing ``x`` per token: scale = max|x| / 127 over the hidden axis, uint8 around 128.

    Returns the nodes, the quantized tensor and the scale. One ``QuantizeLinear``
    (round half to even, saturate) does what Div, Round, Add, Clip and Cast did
    before, bit for bit. ``zero_point``: a shared tensor shaped like the scale,
    or None to build one from the scale's own shape.
    """
    p = prefix
    nodes = [
        helper.make_node("Abs", [x], [p + "abs"]),
        helper.make_node("ReduceMax", [p + "abs", "tw_last_axis"], [p + "max"], keepdims=1),
        helper.make_node("Max", [p + "max", "tw_tiny"], [p + "range"]),
        helper.make_node("Div", [p + "range", "tw_127"], [p + "scale"]),
    ]
    if zero_point is None:
        zero_point = p + "zp"
        nodes += [helper.make_node("Shape", [p + "scale"], [p + "scale_shape"]),
                  *_zero_point_nodes(helper, tensor_type, p + "scale_shape", zero_point)]
    nodes.append(helper.make_node("QuantizeLinear", [x, p + "scale", zero_point], [p + "xq"], axis=-1,
                                  block_size=hidden))
    return nodes, p + "xq", p + "scale"


def _matmul_nodes(helper, tensor_type, xq: str, scale: str, y: str, prefix: str) -> list:
    """``y`` from the quantized ``xq``: ``MatMulInteger`` by the int8 weight ``prefix+'w'``, then both scales."""
    p = prefix
    return [
        helper.make_node("MatMulInteger", [xq, p + "w", "tw_zero_point"], [p + "acc"]),
        helper.make_node("Cast", [p + "acc"], [p + "accf"], to=tensor_type.FLOAT),
        helper.make_node("Mul", [p + "accf", p + "ws"], [p + "cols"]),
        helper.make_node("Mul", [p + "cols", scale], [y]),
    ]


def _embedding_nodes(helper, tensor_type, numpy_helper, node, table: np.ndarray, prefix: str) -> tuple[list, list]:
    """The vocabulary lookup on an int8 table with one scale per row: Gather both, then scale (the output is the
    same float tensor). A row's largest entry sets its scale, so each token's vector keeps 8 bits of its own range.
    """
    scale = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127
    levels = np.clip(np.round(table / scale[:, None]), -127, 127).astype(np.int8)
    p, ids = prefix, node.input[1]
    nodes = [
        helper.make_node("Gather", [p + "table", ids], [p + "rows"], axis=0),
        helper.make_node("Gather", [p + "row_scale", ids], [p + "scale"], axis=0),
        helper.make_node("Cast", [p + "rows"], [p + "rowsf"], to=tensor_type.FLOAT),
        helper.make_node("Unsqueeze", [p + "scale", "tw_last_axis"], [p + "scale_col"]),
        helper.make_node("Mul", [p + "rowsf", p + "scale_col"], [node.output[0]]),
    ]
    return nodes, [numpy_helper.from_array(levels, p + "table"),
                   numpy_helper.from_array(scale.astype(np.float32), p + "row_scale")]


def _float_matmul_weights(model) -> list:
    """The 2-D float weight tensors of a loaded graph's MatMuls, in graph order."""
    from onnx import TensorProto

    weights = {t.name: t for t in model.graph.initializer}
    return [weights[n.input[1]] for n in model.graph.node if n.op_type == "MatMul" and len(n.input) == 2
            and n.input[1] in weights and len(weights[n.input[1]].dims) == 2
            and weights[n.input[1]].data_type == TensorProto.FLOAT]


def matmul_weights(source: str | Path) -> list[str]:
    """The names of the 2-D float weights that :func:`quantize_token_wise` would quantize, in graph order."""
    import onnx

    return [w.name for w in _float_matmul_weights(onnx.load(str(source)))]


def ffn_down_weights(source: str | Path) -> tuple[str, ...]:
    """The feed-forward blocks' second products (a weight wider in than out: intermediate -> hidden), in layer
    order. Their input, the GELU output, is where token-wise int8 loses the most (``python -m benchmarks
    int8_fidelity``): :func:`quantize_int8` keeps the lower layers' fp32."""
    import onnx

    return tuple(w.name for w in _float_matmul_weights(onnx.load(str(source))) if w.dims[0] > w.dims[1])


def quantize_token_wise(source: str | Path, target: str | Path, keep_fp32: tuple[str, ...] = (),
                        embeddings: str = "int8") -> int:
    """Write ``target``: ``source`` with every MatMul by a 2-D float weight in token-wise int8; return how many.

    ``keep_fp32`` names weights (:func:`matmul_weights`) whose products stay fp32: the few whose int8 error
    dominates, found by measurement on dev. ``embeddings``: ``int8`` stores the vocabulary table with a scale
    per row (a quarter of its fp32 size), ``fp32`` leaves it.

    Products reading the same activations (an attention layer's query, key and
    value) share one quantization of them. The classifier head (``Gemm``) and the
    attention's activation-by-activation products stay fp32: they are a sliver of
    the work. The graph is raised to opset 21 (``onnx.version_converter``) for
    blocked ``QuantizeLinear``.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper, version_converter

    model = onnx.load(str(source))
    if any(o.domain in ("", "ai.onnx") and o.version < QUANTIZE_OPSET for o in model.opset_import):
        model = version_converter.convert_version(model, QUANTIZE_OPSET)
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    uses = Counter(name for node in graph.node for name in node.input)
    shapes = _shapes(model)
    ids = shapes.get(graph.input[0].name, ())
    # activations shaped (batch, tokens, hidden) like the ids take one zero-point tensor built from the ids'
    # shape; any other (the last layer's [CLS] row) gets its own, from its scale's shape
    batch_tokens = len(ids) == 2 and None not in ids
    nodes = []
    if batch_tokens:  # (batch, tokens) + [1]
        nodes = _named([helper.make_node("Shape", [graph.input[0].name], ["tw_batch_tokens"]),
                        helper.make_node("Concat", ["tw_batch_tokens", "tw_one"], ["tw_scale_shape"], axis=0),
                        *_zero_point_nodes(helper, TensorProto, "tw_scale_shape", "tw_zp")])
    added, replaced = [], set()
    quantized: dict[str, tuple[str, str]] = {}  # activation -> its quantized tensor and scale
    count = 0
    for node in graph.node:
        table = weights.get(node.input[0]) if node.op_type == "Gather" else None
        if (embeddings == "int8" and table is not None and len(table.dims) == 2 and table.dims[0] >= EMBEDDING_MIN_ROWS
                and table.data_type == TensorProto.FLOAT and uses[table.name] == 1
                and all(a.i == 0 for a in node.attribute if a.name == "axis")):
            lookup, tensors = _embedding_nodes(helper, TensorProto, numpy_helper, node,
                                               numpy_helper.to_array(table).astype(np.float32), "tw_vocab_")
            nodes += _named(lookup)
            added += tensors
            replaced.add(table.name)
            continue
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if (weight is None or len(weight.dims) != 2 or weight.data_type != TensorProto.FLOAT
                or weight.name in keep_fp32):
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)
        column_scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / WEIGHT_LEVELS
        prefix = f"tw{count}_"
        count += 1
        levels = np.clip(np.round(w / column_scale), -WEIGHT_LEVELS, WEIGHT_LEVELS)
        added += [
            numpy_helper.from_array(levels.astype(np.int8), prefix + "w"),
            numpy_helper.from_array(column_scale.astype(np.float32), prefix + "ws"),
        ]
        x = node.input[0]
        if x not in quantized:
            shared = batch_tokens and shapes.get(x, ())[:2] == ids and len(shapes[x]) == 3
            quantize, xq, scale = _quantize_nodes(helper, TensorProto, x, w.shape[0], prefix + "in_",
                                                  "tw_zp" if shared else None)
            nodes += _named(quantize)
            quantized[x] = (xq, scale)
        nodes += _named(_matmul_nodes(helper, TensorProto, *quantized[x], node.output[0], prefix))
        if uses[weight.name] == 1:
            replaced.add(weight.name)
    if not count:
        raise ValueError(f"{source}: no MatMul by a float weight to quantize")
    kept = [t for t in graph.initializer if t.name not in replaced]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + added + [numpy_helper.from_array(v, k) for k, v in _CONSTANTS.items()])
    del graph.value_info[:]  # shapes of the replaced values; onnxruntime infers them afresh
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return count


def quantize_int8(export_dir: str | Path, graphs: Mapping[str, str] = ONNX_FILES, ffn_down_fp32_layers: int = 0,
                  embeddings: str = "int8") -> tuple[str, ...]:
    """Token-wise int8 of ``onnx/model.onnx`` into ``onnx/model.int8.onnx``, written whole or not at all; return the
    feed-forward output weights kept fp32.

    ``graphs`` names the files per precision (an article model's encoder: ``ARTICLE_FILES``);
    ``ffn_down_fp32_layers`` keeps the feed-forward output products of that many lower layers fp32 (-1: every
    layer; :func:`ffn_down_weights`, in layer order). On the default model, 3 of 6 gave dev agreement with fp32
    0.9986 / 0.9972 / 0.9972 over three seeds (none: 0.9944 / 0.9958 / 0.9986) at 0.82x the int8 graph's speed.
    """
    export_dir = Path(export_dir)
    source, target = export_dir / graphs["fp32"], export_dir / graphs["int8"]
    down = ffn_down_weights(source)
    keep = down if ffn_down_fp32_layers < 0 else down[:ffn_down_fp32_layers]
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staged = Path(tmp) / target.name
        quantize_token_wise(source, staged, keep, embeddings)
        shutil.move(str(staged), target)
    return keep
