"""The article model's tagging speed against the sentence model's, in one process, on the base install.

Tags the test split's 44 articles as raw text (segmentation included) with each export's
``auto`` path, alternating the two for ``--rounds`` rounds so that machine noise hits
both alike; prints sentences/s per round, the medians and their ratio, as JSON.

    python -m benchmarks article --sentence SENTENCE_EXPORT --article ARTICLE_EXPORT [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from claimnet import ClaimTagger

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentence", required=True)
    parser.add_argument("--article", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    test = ROOT / "data" / "claimnet-wikinews" / "test.jsonl"
    texts = [json.loads(line)["text"] for line in test.read_text(encoding="utf-8").splitlines() if line.strip()]
    taggers = {name: ClaimTagger.load(path) for name, path in (("sentence", args.sentence), ("article", args.article))}
    for tagger in taggers.values():
        tagger.tag_many(texts[:2])  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in taggers}
    sentences = 0
    for _ in range(args.rounds):
        for name, tagger in taggers.items():
            started = time.perf_counter()
            tagged = tagger.tag_many(texts)
            rates[name].append(sum(map(len, tagged)) / (time.perf_counter() - started))
            sentences = sum(map(len, tagged))
    result = {"articles": len(texts), "sentences": sentences, "torch_imported": "torch" in sys.modules,
              "paths": {name: {"backend": t.backend_name, "kind": t.kind,
                               "sentences_per_s": [round(r, 1) for r in rates[name]],
                               "median_sentences_per_s": round(statistics.median(rates[name]), 1)}
                        for name, t in taggers.items()}}
    result["article_vs_sentence"] = round(result["paths"]["article"]["median_sentences_per_s"]
                                          / result["paths"]["sentence"]["median_sentences_per_s"], 3)
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
