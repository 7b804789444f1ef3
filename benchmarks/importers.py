"""Time `claimnet data import --from labelstudio` at two sizes: is it linear?

Builds Label Studio exports of N articles (the bundled train split, cycled with
new ids, each gold sentence a span) and times the import in this process:

    .venv/bin/python -m benchmarks importers [SMALL LARGE]   # default 2500 10000
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from claimnet.data import load_articles
from claimnet.data.importers import import_source
from claimnet.labels import DEFAULT_LABELS, LabelSet

ROOT = Path(__file__).resolve().parents[1]


def export_of(n: int, articles) -> list[dict]:
    tasks = []
    for i in range(n):
        a = articles[i % len(articles)]
        result = [{"id": f"r{j}", "from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": s.start, "end": s.end, "text": a.text[s.start:s.end], "labels": [s.label]}}
                  for j, s in enumerate(a.sentences)]
        tasks.append({"id": i, "data": {"text": a.text, "id": f"{a.id}-{i}"},
                      "annotations": [{"id": i, "completed_by": 1, "result": result}]})
    return tasks


def main(sizes: list[int]) -> None:
    labels = LabelSet.from_names(DEFAULT_LABELS)
    articles = load_articles(ROOT / "data/claimnet-wikinews/train.jsonl", labels.names)
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"ls-{n}.json"
            path.write_text(json.dumps(export_of(n, articles)), encoding="utf-8")
            started = time.perf_counter()
            result = import_source("labelstudio", path, labels)
            seconds = time.perf_counter() - started
            sentences = result.counts.sentences
            same = sum(a.labels() == articles[i % len(articles)].labels() for i, a in enumerate(result.articles))
            rates[n] = n / seconds
            print(f"{n:>6} articles ({path.stat().st_size / 1e6:.0f} MB, {sentences} sentences): {seconds:.1f} s, "
                  f"{n / seconds:.0f} articles/s, {sentences / seconds:.0f} sentences/s; "
                  f"labels identical to gold in {same}/{n} articles")
    small, large = sizes
    print(f"time ratio {large}/{small} articles: {(large / rates[large]) / (small / rates[small]):.2f} "
          f"(linear: {large / small:.2f})")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:3]] if len(sys.argv) > 2 else [2500, 10000])
