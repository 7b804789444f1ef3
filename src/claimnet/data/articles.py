"""Annotated articles: the data unit of claimnet.

One JSON object per line: ``id``, ``text`` and ``sentences`` (``start``/``end``
character offsets into ``text``, end exclusive, and a ``label``), plus optional
metadata (``title``, ``date``, ``url``, ``source``, ``license``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sentence:
    """A labelled span ``text[start:end]`` of its article."""

    start: int
    end: int
    label: str | None = None


@dataclass(frozen=True)
class Article:
    """One news article with its sentence spans."""

    id: str
    text: str
    sentences: tuple[Sentence, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start : s.end] for s in self.sentences]

    def spans(self) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in self.sentences]

    def labels(self) -> list[str]:
        return [s.label for s in self.sentences]  # type: ignore[misc]


def label_counts(articles: Iterable[Article]) -> Counter:
    return Counter(s.label for a in articles for s in a.sentences)


@dataclass(frozen=True)
class SplitCounts:
    """What a split holds, without holding it: articles, sentences and each label's count."""

    articles: int
    sentences: int
    labels: Mapping[str, int]

    @classmethod
    def of(cls, articles: Sequence[Article]) -> SplitCounts:
        return cls(len(articles), sum(len(a.sentences) for a in articles), dict(label_counts(articles)))


def summarize(splits: Mapping[str, Sequence[Article] | SplitCounts], labels: Iterable[str]) -> str:
    """A small table of articles, sentences and label counts per split."""
    labels = list(labels)
    header = ["split", "articles", "sentences", *labels]
    rows = []
    for name, split in splits.items():
        counts = split if isinstance(split, SplitCounts) else SplitCounts.of(split)
        rows.append([name, counts.articles, counts.sentences, *(counts.labels.get(l, 0) for l in labels)])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda r: "  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([fmt(header), *(fmt(r) for r in rows)])
