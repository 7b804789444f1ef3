"""Every route that loads an export, on the same sentences: labels agreement, largest probability gap, speed.

Routes: ClaimTagger's ONNX fp32 (the reference), torch fp32 and ONNX int8 backends,
``transformers.pipeline("text-classification", model=EXPORT)`` called as the docs
show, and a plain onnxruntime client (tokenize, run, softmax: nothing else). The
docs' table of routes is generated from the JSON this writes:

    python -m benchmarks conformance --model outputs/latest/export [--out benchmarks/results/conformance-HOSTKIND.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HOW = {
    "onnx-fp32": 'ClaimTagger.load(EXPORT, backend="onnx", precision="fp32")',
    "torch-fp32": 'ClaimTagger.load(EXPORT, backend="torch", precision="fp32")',
    "onnx-int8": 'ClaimTagger.load(EXPORT, backend="onnx", precision="int8")',
    "pipeline": 'pipeline("text-classification", model=EXPORT, top_k=None)([{"text": s}], truncation=True)',
    "onnxruntime": "tokenizers + onnxruntime.InferenceSession(EXPORT/onnx/model.onnx) + softmax",
}


def plain_onnxruntime(export: Path, sentences: list[str]) -> np.ndarray:
    """What a plain onnxruntime client does: tokenize (truncated at the export's model_max_length), run, softmax."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    config = json.loads((export / "tokenizer_config.json").read_text())
    tokenizer = Tokenizer.from_file(str(export / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=int(config["model_max_length"]))
    session = ort.InferenceSession(str(export / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    rows = []
    for text in sentences:
        enc = tokenizer.encode(text)
        feeds = {"input_ids": [enc.ids], "attention_mask": [enc.attention_mask], "token_type_ids": [enc.type_ids]}
        logits = session.run(None, {k: np.array(v, dtype=np.int64) for k, v in feeds.items() if k in wanted})[0][0]
        exp = np.exp(logits - logits.max())
        rows.append(exp / exp.sum())
    return np.array(rows)


def routes(export: Path, sentences: list[str], int8: bool = False) -> tuple[list[str], dict, dict]:
    """Each route's probabilities (one row per sentence, the export's label order) and its seconds."""
    from transformers import pipeline

    from claimnet import ClaimTagger

    pairs = [(s, None) for s in sentences]
    reference = ClaimTagger.load(export, backend="onnx", precision="fp32")
    labels = reference.labels
    taggers = {"onnx-fp32": reference, "torch-fp32": ClaimTagger.load(export, backend="torch", precision="fp32")}
    if int8:
        taggers["onnx-int8"] = ClaimTagger.load(export, backend="onnx", precision="int8")
    probs, seconds = {}, {}
    for name, tagger in taggers.items():
        started = time.perf_counter()
        probs[name] = tagger.sentence_outputs(pairs)
        seconds[name] = time.perf_counter() - started
    classify = pipeline("text-classification", model=str(export), top_k=None, device="cpu")
    started = time.perf_counter()
    answers = classify([{"text": s} for s in sentences], truncation=True, batch_size=32)
    seconds["pipeline"] = time.perf_counter() - started
    probs["pipeline"] = np.array([[{a["label"]: a["score"] for a in answer}[label] for label in labels]
                                  for answer in answers])
    started = time.perf_counter()
    probs["onnxruntime"] = plain_onnxruntime(export, sentences)
    seconds["onnxruntime"] = time.perf_counter() - started
    return labels, probs, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "outputs" / "latest" / "export")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "claimnet-wikinews" / "test.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "conformance.json")
    args = parser.parse_args()
    from claimnet import ClaimTagger
    from claimnet.runtime.files import write_json
    from claimnet.tasks.bench import machine

    tagger = ClaimTagger.load(args.model, backend="onnx", precision="fp32")
    texts = [json.loads(line)["text"] for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [text[s:e] for text in texts for s, e in tagger.segment(text)]
    manifest = json.loads((args.model / "claimnet.json").read_text())
    int8 = "onnx/model.int8.onnx" in manifest["files"]
    labels, probs, seconds = routes(args.model, sentences, int8=int8)
    ref = probs["onnx-fp32"]
    report = {"machine": machine(), "model": str(args.model), "format_version": manifest["format_version"],
              "calibration": manifest.get("calibration"), "sentences": len(sentences), "routes": {
                  name: {"how": HOW[name], "labels_agreement": float((p.argmax(1) == ref.argmax(1)).mean()),
                         "max_probability_difference": float(np.abs(p - ref).max()),
                         "sentences_per_s": round(len(sentences) / seconds[name], 1)}
                  for name, p in probs.items()}}
    write_json(args.out, report)
    for name, r in report["routes"].items():
        print(f"{name:<12} agreement {r['labels_agreement']:.4f}  max |dp| {r['max_probability_difference']:.2e}  "
              f"{r['sentences_per_s']:>7.1f} sent/s")
    print(f"Report: {args.out}")


if __name__ == "__main__":
    main()
