"""Where a tagging path's time goes: segmentation, tokenisation, the model's kernels, padding, the rest.

A path's fraction of the host's ceiling (:mod:`claimnet.evaluation.ceiling`)
says how much is left; this says where it went. The stages are timed apart on
the same texts (best of ``rounds``): cutting sentences, tokenising them, the
backend's calls on the tagger's own length-sorted batches, and the rest of
``tag_many`` (pairing, probabilities, result objects). For an ONNX path,
onnxruntime's profiler then splits the model's kernel time into the matrix
products, the int8 graph's own quantize and dequantize nodes (named
``int8/…`` by :mod:`claimnet.exporters.quantize`) and every other op type; the
thread time no kernel used (waiting, session overhead) is reported beside.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from claimnet.runtime.backends import INT8_NODE_PREFIX, cpu_session
from claimnet.runtime.tagger import ClaimTagger

MATMUL_OPS = frozenset({"MatMulInteger", "MatMul", "FusedMatMul", "Gemm", "FusedGemm", "MatMulIntegerToFloat"})


def _best(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def kernel_kind(event: dict[str, Any]) -> str:
    """What one onnxruntime kernel event counts as: ``matmul``, ``int8 quantize/dequantize`` or its op type."""
    op = event["args"]["op_name"]
    if op in MATMUL_OPS:
        return "matmul"
    if event["name"].startswith(INT8_NODE_PREFIX):
        return "int8 quantize/dequantize"
    return op


def kernel_seconds(trace: Sequence[dict[str, Any]]) -> Counter:
    """Seconds of kernel time per :func:`kernel_kind` in an onnxruntime profile (summed over threads)."""
    seconds: Counter = Counter()
    for event in trace:
        if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
            seconds[kernel_kind(event)] += event["dur"] / 1e6
    return seconds


def _profiled_kernels(tagger: ClaimTagger, encodings: list) -> tuple[Counter, float] | None:
    """Kernel seconds by kind and the wall seconds of one run of the model's part under onnxruntime's profiler;
    None for a torch path."""
    backend = tagger.backend
    if getattr(backend, "graph", None) is None:
        return None
    saved = backend.session
    with tempfile.TemporaryDirectory() as folder:
        backend.session, _ = cpu_session(backend.graph, backend.intra_op_threads, str(Path(folder) / "profile"))
        try:
            wall, _ = _best(lambda: tagger.encoded_outputs(encodings), 1)
            trace = json.loads(Path(backend.session.end_profiling()).read_text())
        finally:
            backend.session = saved
    return kernel_seconds(trace), wall


def where_time_goes(tagger: ClaimTagger, texts: Sequence[str], ceiling: dict[str, Any] | None = None,
                    rounds: int = 3) -> dict[str, Any]:
    """Seconds per stage of ``tagger.tag_many(texts)``, the model's kernels by kind, padding, and the ideal.

    ``ceiling``: :func:`claimnet.evaluation.ceiling.ceiling`'s figures; with them the report adds how long the
    model's matrix products would take at this host's full rate for the path's precision.
    """
    texts = list(texts)
    total, _ = _best(lambda: tagger.tag_many(texts), rounds)
    segmentation, spans = _best(lambda: [tagger.segment(t) for t in texts], rounds)
    pairs = [p for text, s in zip(texts, spans) for p in tagger.article_pairs(text, s)]
    tokenisation, encodings = _best(lambda: tagger.encoder.encode(pairs), rounds)
    model, _ = _best(lambda: tagger.encoded_outputs(encodings), rounds)
    n = len(encodings)
    real = sum(len(e["input_ids"]) for e in encodings)
    unpadded = bool(getattr(tagger.backend, "unpadded", False))
    computed = real if unpadded else sum(
        len(batch) * max(len(encodings[i]["input_ids"]) for i in batch) for batch in tagger.length_batches(encodings))
    seconds = {"segmentation": segmentation, "tokenisation": tokenisation, "model": model,
               "rest": max(total - segmentation - tokenisation - model, 0.0)}
    report: dict[str, Any] = {
        "path": tagger.backend_name, "sentences": n, "total_seconds": round(total, 4),
        "sentences_per_s": round(n / total, 1),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "shares": {k: round(v / total, 3) for k, v in seconds.items()},
        "padding_fraction": round(1 - real / computed, 3) if computed else 0.0,
    }
    profiled = _profiled_kernels(tagger, encodings)
    if profiled:
        kernels, wall = profiled
        # int8 runs one single-threaded call per worker at once, so kernel time adds up over the workers; a
        # padded path runs one call at a time over all threads, and a kernel's time is its wall time
        calls = max(1, int(getattr(tagger.backend, "workers", 1))) if unpadded else 1
        busy = sum(kernels.values())
        report["kernels"] = {
            "concurrent_calls": calls, "kernel_seconds": round(busy, 4),
            # time in the model stage that no kernel used: waiting for work, session and Python overhead
            "idle_fraction": round(max(0.0, 1 - busy / (wall * calls)), 3),
            "shares": {k: round(v / busy, 3) for k, v in kernels.most_common()},
        }
    precision = tagger.backend_name.rsplit("-", 1)[-1]
    limit = (ceiling or {}).get("sentences_per_s", {}).get(precision)
    if limit:
        ideal = n / limit  # the model's matrix products at this host's full rate, nothing else
        report["ideal_seconds"] = round(ideal, 4)
        report["fraction_of_ceiling"] = {"end_to_end": round(ideal / total, 3), "model_alone": round(ideal / model, 3)}
    return report


def profile_lines(p: dict[str, Any]) -> list[str]:
    """The profile as lines for a terminal."""
    lines = [f"where {p['path']}'s time goes ({p['sentences']} sentences, {p['total_seconds']:.2f} s): "
             + ", ".join(f"{k} {v:.0%}" for k, v in p["shares"].items())
             + f"; padding {p['padding_fraction']:.0%} of the tokens computed"]
    k = p.get("kernels")
    if k:
        top = list(k["shares"].items())[:6]
        lines.append(f"  model kernels ({k['concurrent_calls']} calls at once, {k['idle_fraction']:.0%} of the time "
                     "in none): " + ", ".join(f"{name} {share:.0%}" for name, share in top))
    if "ideal_seconds" in p:
        f = p["fraction_of_ceiling"]
        lines.append(f"  the matrix products at this host's ceiling would take {p['ideal_seconds']:.2f} s: "
                     f"{f['end_to_end']:.0%} of the path's time, {f['model_alone']:.0%} of the model stage's")
    return lines
