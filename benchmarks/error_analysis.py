"""Where a model goes wrong on dev: its confusion pairs, hedge's in full, with examples; and what another changed.

Reads the ``predictions.jsonl`` a run writes into ``RUN/eval/dev/`` (or any split) and the
split's articles for the sentence texts; prints Markdown. With ``--against`` (a second
run's predictions on the same split) it also counts the sentences one model gets
right and the other wrong, per gold label, with examples.

    python -m benchmarks error_analysis outputs/latest/eval/dev/predictions.jsonl [--against OTHER.jsonl]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path) -> dict[tuple[str, int, int], dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["article_id"], r["start"], r["end"]): r for r in rows}


def texts(split: Path) -> dict[str, str]:
    return {a["id"]: a["text"] for a in map(json.loads, split.read_text(encoding="utf-8").splitlines()) if a}


def quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--split", type=Path, default=ROOT / "data" / "claimnet-wikinews" / "dev.jsonl")
    parser.add_argument("--against", type=Path, help="another model's predictions on the same split")
    parser.add_argument("--examples", type=int, default=3)
    args = parser.parse_args()
    rows, article_text = load(args.predictions), texts(args.split)
    text = lambda key: quote(article_text[key[0]][key[1]:key[2]])  # noqa: E731
    wrong = [(k, r) for k, r in rows.items() if r["gold"] != r["predicted"]]
    pairs = Counter((r["gold"], r["predicted"]) for _, r in wrong)
    print(f"{len(wrong)} of {len(rows)} sentences wrong.\n")
    print("| gold → predicted | sentences | example (most confident mistake) |\n|---|---:|---|")
    for (gold, predicted), n in pairs.most_common(8):
        examples = sorted((r["probabilities"][predicted], k) for k, r in wrong
                          if (r["gold"], r["predicted"]) == (gold, predicted))
        print(f"| {gold} → {predicted} | {n} | {text(examples[-1][1])} ({examples[-1][0]:.2f}) |")
    hedges = [(k, r) for k, r in rows.items() if "hedge" in (r["gold"], r["predicted"]) and r["gold"] != r["predicted"]]
    print(f"\nHedge: {sum(r['gold'] == 'hedge' for r in rows.values())} gold hedges, "
          f"{sum(r['gold'] == 'hedge' and r['predicted'] == 'hedge' for r in rows.values())} found; "
          f"{sum(r['gold'] == 'hedge' for _, r in hedges)} missed, "
          f"{sum(r['predicted'] == 'hedge' for _, r in hedges)} false alarms.\n")
    for k, r in sorted(hedges, key=lambda kr: -kr[1]["probabilities"][kr[1]["predicted"]])[: 2 * args.examples]:
        print(f"- gold {r['gold']}, predicted {r['predicted']} "
              f"({r['probabilities'][r['predicted']]:.2f}): {text(k)}")
    if args.against:
        other = load(args.against)
        shared = [k for k in rows if k in other]
        fixed = [k for k in shared if rows[k]["predicted"] != rows[k]["gold"] == other[k]["predicted"]]
        broken = [k for k in shared if rows[k]["predicted"] == rows[k]["gold"] != other[k]["predicted"]]
        print(f"\nAgainst {args.against}: it gets {len(fixed)} of these sentences right that this model gets "
              f"wrong, and {len(broken)} wrong that this model gets right.\n")
        print("| gold | fixed | broken |\n|---|---:|---:|")
        for label in sorted({rows[k]["gold"] for k in shared}):
            print(f"| {label} | {sum(rows[k]['gold'] == label for k in fixed)} | "
                  f"{sum(rows[k]['gold'] == label for k in broken)} |")
        for k in fixed[: args.examples]:
            print(f"- fixed ({rows[k]['gold']}; was {rows[k]['predicted']}): {text(k)}")


if __name__ == "__main__":
    main()
