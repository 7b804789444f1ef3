"""Which int8 products cost the most agreement with fp32: each MatMul kept fp32 alone, then the best few together.

    python -m benchmarks int8_fidelity --model outputs/latest/export [--sentences 3000] [--out FILE.json]

Selection reads train sentences only (never test; dev is reported beside it):
every quantized MatMul of the token-wise int8 graph is kept fp32 on its own
and the label agreement with the fp32 graph is measured; MatMuls are then named
by their role (layer, query/key/value/output/ffn-up/ffn-down) so that a rule can
be written by role, and the best roles are kept fp32 together, k = 1, 2, ...
The vocabulary table's int8 storage is measured the same way.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("query", "key", "value", "attention-out", "ffn-up", "ffn-down")


def sentences(path: Path, limit: int) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        out += [article["text"][s["start"]:s["end"]] for s in article["sentences"]]
    rng = np.random.default_rng(0)
    return [out[i] for i in sorted(rng.choice(len(out), min(limit, len(out)), replace=False))]


def batches(export: Path, texts: list[str], size: int = 64) -> list[dict[str, np.ndarray]]:
    from claimnet.runtime.encoding import SentenceEncoder
    from claimnet.runtime.manifest import read_manifest

    manifest = read_manifest(export)
    encoder = SentenceEncoder.from_dir(export, manifest["model"]["max_length"],
                                       (manifest.get("tokenizer") or {}).get("pad_token_id"))
    encoded = encoder.encode([(t, None) for t in texts])
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
    return [encoder.pad([encoded[i] for i in order[s:s + size]]) for s in range(0, len(order), size)]


def labels(graph: Path, feeds: list[dict[str, np.ndarray]]) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return np.concatenate([session.run(None, {k: v for k, v in f.items() if k in names})[0].argmax(-1)
                           for f in feeds])


def main() -> None:
    from claimnet.exporters.quantize import matmul_weights, quantize_token_wise

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="an export with onnx/model.onnx")
    parser.add_argument("--sentences", type=int, default=3000, help="train sentences for the selection")
    parser.add_argument("--top", type=int, default=8, help="keep up to this many roles fp32 together")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    source = args.model / "onnx" / "model.onnx"
    data = ROOT / "data" / "claimnet-wikinews"
    train = batches(args.model, sentences(data / "train.jsonl", args.sentences))
    dev = batches(args.model, sentences(data / "dev.jsonl", 10**6))
    reference = {"train": labels(source, train), "dev": labels(source, dev)}
    names = matmul_weights(source)
    per_layer = len(ROLES)
    role = {name: f"layer {i // per_layer} {ROLES[i % per_layer]}" for i, name in enumerate(names)}

    def agreement(keep: tuple[str, ...], embeddings: str = "int8", splits=("train",)) -> dict[str, float]:
        with tempfile.TemporaryDirectory() as tmp:
            graph = Path(tmp) / "m.onnx"
            quantize_token_wise(source, graph, keep_fp32=keep, embeddings=embeddings)
            out = {s: float((labels(graph, {"train": train, "dev": dev}[s]) == reference[s]).mean()) for s in splits}
            out["mb"] = round(graph.stat().st_size / 2**20, 1)
            return out

    started = time.perf_counter()
    report = {"model": str(args.model), "train_sentences": int(len(reference["train"])),
              "dev_sentences": int(len(reference["dev"])),
              "all_int8": agreement((), "int8", ("train", "dev")),
              "all_int8_fp32_vocabulary": agreement((), "fp32", ("train", "dev"))}
    print(f"all int8: {report['all_int8']}; vocabulary fp32: {report['all_int8_fp32_vocabulary']}", flush=True)
    single = {}
    for name in names:
        single[role[name]] = agreement((name,))["train"]
        print(f"  fp32 {role[name]:<24} train agreement {single[role[name]]:.4f}", flush=True)
    report["one_kept_fp32"] = single
    ranked = sorted(names, key=lambda n: -single[role[n]])
    report["kept_together"] = []
    for k in range(1, args.top + 1):
        keep = tuple(ranked[:k])
        row = {"k": k, "roles": [role[n] for n in keep], **agreement(keep, "int8", ("train", "dev"))}
        report["kept_together"].append(row)
        print(f"  top {k}: train {row['train']:.4f} dev {row['dev']:.4f} ({row['mb']} MB)", flush=True)
    by_role = {}
    for r in ROLES:
        keep = tuple(n for n in names if role[n].endswith(r))
        by_role[r] = agreement(keep, "int8", ("train", "dev"))
        print(f"  every layer's {r} fp32: {by_role[r]}", flush=True)
    report["one_role_in_every_layer_fp32"] = by_role
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "one_kept_fp32"}, indent=1)[:3000])


if __name__ == "__main__":
    main()
