"""The machine's ceiling for tagging: sustained matmul throughput and the model's matmul work per sentence.

A tagging path's sentences/s means little alone: against the sentences/s the
machine could reach if it did nothing but the model's matrix products at full
speed, it says how much is left. Throughput is measured on model-shaped
products (1,024 tokens x hidden x 4 hidden) on every core: int8 by
onnxruntime's ``MatMulInteger`` (u8 x s8, what the int8 graph runs), fp32 by
the faster of onnxruntime's and torch's ``MatMul``, bf16 by torch. The work
is counted from the exported graph at the sentences' real token lengths:
every MatMul by a weight (k x n per token) plus attention's two activation
products per layer (2 x length^2 x hidden).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_ROWS = 1024  # tokens per product: a batch's worth, so the figure is the sustained rate, not a small-call one


def _timed(fn, seconds: float) -> float:
    """Seconds per call of ``fn``, over at least ``seconds`` after a warm-up."""
    for _ in range(3):
        fn()
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds or calls < 5:
        fn()
        calls += 1
    return elapsed / calls


def onnxruntime_ops_per_s(hidden: int, threads: int, precision: str, seconds: float = 1.0) -> float:
    """Sustained ops/s of onnxruntime on ``threads`` threads: int8 ``MatMulInteger`` (u8 x s8) or fp32 ``MatMul``."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    k, n = hidden, 4 * hidden
    if precision == "int8":
        weights = [numpy_helper.from_array(rng.integers(-127, 128, (k, n)).astype(np.int8), "w"),
                   numpy_helper.from_array(np.array(128, np.uint8), "zero")]
        node = helper.make_node("MatMulInteger", ["a", "w", "zero"], ["y"])
        a_type, y_type, a = TensorProto.UINT8, TensorProto.INT32, rng.integers(0, 256, (_ROWS, k)).astype(np.uint8)
    else:
        weights = [numpy_helper.from_array(rng.standard_normal((k, n)).astype(np.float32), "w")]
        node = helper.make_node("MatMul", ["a", "w"], ["y"])
        a_type, y_type, a = TensorProto.FLOAT, TensorProto.FLOAT, rng.standard_normal((_ROWS, k)).astype(np.float32)
    graph = helper.make_graph([node], "ceiling", [helper.make_tensor_value_info("a", a_type, [None, k])],
                              [helper.make_tensor_value_info("y", y_type, [None, n])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return 2 * _ROWS * k * n / _timed(lambda: session.run(None, {"a": a}), seconds)


def float_ops_per_s(hidden: int, threads: int, dtype: str, seconds: float = 1.0) -> float:
    """Sustained fp32 or bf16 FLOP/s of torch's matmul on ``threads`` threads (torch's own setting restored)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        kind = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
        a, b = torch.randn(_ROWS, hidden, dtype=kind), torch.randn(hidden, 4 * hidden, dtype=kind)
        with torch.inference_mode():
            return 2 * _ROWS * hidden * 4 * hidden / _timed(lambda: a @ b, seconds)
    finally:
        torch.set_num_threads(before)


def model_work(onnx_path: str | Path, token_lengths: Sequence[int]) -> dict[str, Any]:
    """The graph's matmul operations (2 x multiply-adds) per sentence, averaged over ``token_lengths``."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    shapes = {t.name: tuple(t.dims) for t in model.graph.initializer}
    per_token = 0
    hidden = None
    for node in model.graph.node:
        if node.op_type == "MatMul" and len(shapes.get(node.input[1], ())) == 2:
            k, n = shapes[node.input[1]]
            per_token += k * n
            hidden = hidden or k
    layers = sum(node.op_type == "Softmax" for node in model.graph.node)
    lengths = np.asarray(token_lengths, dtype=np.float64)
    macs = lengths * per_token + layers * 2 * lengths**2 * (hidden or 0)
    return {"ops_per_sentence": float(2 * macs.mean()), "weight_macs_per_token": int(per_token),
            "attention_layers": int(layers), "hidden": int(hidden or 0),
            "mean_tokens": round(float(lengths.mean()), 1)}


def ceiling(onnx_path: str | Path, token_lengths: Sequence[int], threads: int,
            seconds: float = 1.0) -> dict[str, Any]:
    """Throughput per precision, the model's work, and the sentences/s each precision's ceiling allows."""
    work = model_work(onnx_path, token_lengths)
    hidden = work["hidden"] or 384
    rates = {p: onnxruntime_ops_per_s(hidden, threads, p, seconds) for p in ("int8", "fp32")}
    # the faster of the two libraries' fp32 kernels is the ceiling; bf16 is torch's alone
    rates["fp32"] = max(rates["fp32"], float_ops_per_s(hidden, threads, "fp32", seconds))
    rates["bf16"] = float_ops_per_s(hidden, threads, "bf16", seconds)
    return {
        "threads": threads,
        "ops_per_s": {p: round(r) for p, r in rates.items()},
        "work": work,
        "sentences_per_s": {p: round(r / work["ops_per_sentence"], 1) for p, r in rates.items()},
    }


def fraction_of_ceiling(path: str, sentences_per_s: float, figures: dict[str, Any]) -> float | None:
    """A path's (``onnx-int8``, ``torch-bf16`` …) sentences/s over its precision's ceiling."""
    limit = figures["sentences_per_s"].get(path.rsplit("-", 1)[-1])
    return round(sentences_per_s / limit, 3) if limit else None
