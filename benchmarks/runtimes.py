"""The model alone on the test split's sentences, one runtime setting against another, in one process.

What chose the int8 backend's equal-length groups, and what kept OpenVINO and
onnxruntime's transformer fusions out: each variant runs the same pre-tokenized
sentences (no segmentation) in alternating rounds; medians are reported with
label agreement against ONNX fp32.

    python -m benchmarks runtimes --model EXPORT [--rounds 5] [--out benchmarks/results/runtimes-cpu.json]

OpenVINO (``pip install openvino``) and onnxruntime's transformer optimizer are
measured when importable; neither is a claimnet dependency.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from claimnet.data import load_articles
from claimnet.runtime.backends import available_cores, cpu_session, equal_length_groups
from claimnet.runtime.tagger import ClaimTagger

ROOT = Path(__file__).resolve().parents[1]


def padded_batches(tagger: ClaimTagger, encodings: list[dict], size: int) -> list[tuple[np.ndarray, dict]]:
    order = np.argsort([len(e["input_ids"]) for e in encodings], kind="stable")
    return [(order[lo : lo + size], tagger.encoder.pad([encodings[i] for i in order[lo : lo + size]]))
            for lo in range(0, len(order), size)]


def onnxruntime_grouped(path: Path, batch: dict, group: int, threads: int) -> Callable[[], np.ndarray]:
    session, _ = cpu_session(path, 1)
    names = [i.name for i in session.get_inputs()]
    groups = equal_length_groups(batch["attention_mask"].sum(axis=1), group)
    calls = [(rows, {n: batch[n][rows, :length] for n in names}) for rows, length in groups]
    pool = ThreadPoolExecutor(threads)

    def run() -> np.ndarray:
        out = np.zeros((len(batch["input_ids"]), 4), np.float32)
        for rows, logits in pool.map(lambda c: (c[0], session.run(None, c[1])[0]), calls):
            out[rows] = logits
        return out

    return run


def onnxruntime_padded(path: Path, batches, n: int, threads: int) -> Callable[[], np.ndarray]:
    session, _ = cpu_session(path, threads)
    names = [i.name for i in session.get_inputs()]

    def run() -> np.ndarray:
        out = np.zeros((n, 4), np.float32)
        for rows, b in batches:
            out[rows] = session.run(None, {k: b[k] for k in names})[0]
        return out

    return run


def openvino_padded(path: Path, batches, n: int, precision: str) -> Callable[[], np.ndarray]:
    import openvino as ov

    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": precision,
                                                          "PERFORMANCE_HINT": "THROUGHPUT"})
    queue = ov.AsyncInferQueue(compiled, compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    out = np.zeros((n, 4), np.float32)
    queue.set_callback(lambda request, rows: out.__setitem__(rows, request.get_output_tensor(0).data))
    feeds = [(rows, {k: b[k] for k in ("input_ids", "attention_mask", "token_type_ids")}) for rows, b in batches]

    def run() -> np.ndarray:
        for rows, feed in feeds:
            queue.start_async(feed, userdata=rows)
        queue.wait_all()
        return out.copy()

    return run


def fused_graph(source: Path, target: Path, hidden: int, heads: int) -> Path:
    from onnxruntime.transformers import optimizer

    optimizer.optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden,
                             opt_level=0).save_model_to_file(str(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a sentence-kind export with int8")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "runtimes-cpu.json")
    args = parser.parse_args()
    threads = available_cores()
    tagger = ClaimTagger.load(args.model, backend="onnx", precision="fp32")
    test = load_articles(ROOT / "data" / "claimnet-wikinews" / "test.jsonl", tagger.labels)
    encodings = tagger.encoder.encode([(t, None) for a in test for t in a.sentence_texts()])
    n = len(encodings)
    whole = tagger.encoder.pad(encodings)
    batches16, batches32 = padded_batches(tagger, encodings, 16), padded_batches(tagger, encodings, 32)
    fp32, int8 = args.model / "onnx" / "model.onnx", args.model / "onnx" / "model.int8.onnx"
    variants: dict[str, Callable[[], np.ndarray]] = {
        "onnxruntime fp32, padded batches of 16": onnxruntime_padded(fp32, batches16, n, threads),
        **{f"onnxruntime int8, equal-length groups of {g}": onnxruntime_grouped(int8, whole, g, threads)
           for g in (1, 4, 8, 16)},
    }
    config = json.loads((args.model / "config.json").read_text())
    tmp = Path(tempfile.mkdtemp())
    try:
        fused = fused_graph(fp32, tmp / "fused.onnx", config["hidden_size"], config["num_attention_heads"])
        variants["onnxruntime fp32, transformer-optimizer fusions, batches of 16"] = onnxruntime_padded(
            fused, batches16, n, threads)
    except ImportError as exc:
        print(f"onnxruntime.transformers not available: {exc}")
    try:
        for precision in ("f32", "bf16"):
            variants[f"OpenVINO {precision}, padded batches of 32"] = openvino_padded(fp32, batches32, n, precision)
    except ImportError:
        print("openvino not installed: pip install openvino to measure it")
    reference = variants["onnxruntime fp32, padded batches of 16"]().argmax(1)
    rates: dict[str, list[float]] = {name: [] for name in variants}
    agreement = {}
    for _ in range(args.rounds):
        for name, run in variants.items():
            run()  # warm
            started = time.perf_counter()
            labels = run().argmax(1)
            rates[name].append(n / (time.perf_counter() - started))
            agreement[name] = float(np.mean(labels == reference))
    report = {"sentences": n, "threads": threads, "rounds": args.rounds, "variants": {
        name: {"median_sentences_per_s": round(float(np.median(r)), 1), "sentences_per_s": [round(x, 1) for x in r],
               "label_agreement_with_fp32": round(agreement[name], 4)} for name, r in rates.items()}}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for name, r in report["variants"].items():
        print(f"{name:<66} {r['median_sentences_per_s']:>7.1f} sent/s  agreement {r['label_agreement_with_fp32']:.4f}")
    print(f"Report: {args.out}")


if __name__ == "__main__":
    main()
