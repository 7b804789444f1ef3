"""``claimnet data stats``: articles, sentences, tokens and labels per file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import mean, median
from typing import Any

from claimnet.data.articles import Article, label_counts
from claimnet.labels import LabelSet


def file_stats(articles: Sequence[Article], labels: LabelSet) -> dict[str, Any]:
    """Counts for one file; tokens are white-space separated words (no model tokenizer needed)."""
    per_article = [len(a.sentences) for a in articles]
    counts = label_counts(articles)
    total = sum(per_article)
    return {
        "articles": len(articles),
        "sentences": total,
        "tokens": sum(len(t.split()) for a in articles for t in a.sentence_texts()),
        "labels": {name: {"count": counts.get(name, 0), "share": counts.get(name, 0) / total if total else 0.0}
                   for name in labels},
        "sentences_per_article": {"mean": mean(per_article), "median": median(per_article),
                                  "min": min(per_article), "max": max(per_article)},
    }


def stats_table(stats: Mapping[str, Mapping[str, Any]], labels: LabelSet) -> str:
    header = ["file", "articles", "sentences", "tokens", *labels, "sent/article"]
    rows = []
    for name, s in stats.items():
        rows.append([name, s["articles"], s["sentences"], s["tokens"],
                     *(f"{s['labels'][n]['count']} ({s['labels'][n]['share']:.0%})" for n in labels),
                     f"{s['sentences_per_article']['mean']:.1f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), *(line(r) for r in rows)])
