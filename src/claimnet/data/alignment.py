"""Labelled spans of a tool's export onto claimnet's sentences.

The text is cut with claimnet's own segmenter, so imported sentences are the
ones the tagger will see. A span labels a sentence when it covers more than
half of the sentence's non-space characters (design.md, Round 2: Importers);
smaller overlaps are counted. A sentence labelled by several spans with
different labels takes the first of them in the label set's order (the
guidelines' precedence); one labelled by none takes the default label, or is
an error with ``strict``. Every such case is counted in :class:`ImportCounts`,
so nothing is dropped silently. Linear in the text and the spans.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

from claimnet.data.articles import Sentence
from claimnet.labels import LabelSet
from claimnet.runtime.segmentation import segment


@dataclass(frozen=True)
class Span:
    """A labelled character range of an article's text, as a tool exported it."""

    start: int
    end: int
    label: str


@dataclass
class ImportCounts:
    """What an import did, for its closing summary."""

    articles: int = 0
    sentences: int = 0
    spans: int = 0
    labelled_by_span: int = 0
    defaulted: int = 0          # no span covered more than half: the default label
    several_labels: int = 0     # spans of different labels each covered more than half: precedence decided
    crossing_spans: int = 0     # a span that labels more than one sentence
    small_overlaps: int = 0     # a span touching a sentence without covering more than half of it
    skipped: dict[str, int] = field(default_factory=dict)  # what the source held that is not a label span

    def skip(self, what: str, n: int = 1) -> None:
        if n:
            self.skipped[what] = self.skipped.get(what, 0) + n

    def add(self, other: ImportCounts) -> None:
        for f in fields(self):
            if f.name == "skipped":
                for k, v in other.skipped.items():
                    self.skip(k, v)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def summary(self) -> str:
        lines = [
            f"{self.articles} article(s), {self.sentences} sentence(s) from {self.spans} labelled span(s)",
            f"  labelled by a span covering more than half: {self.labelled_by_span}",
            f"  no span covering more than half (default label): {self.defaulted}",
            f"  several labels, resolved by precedence: {self.several_labels}",
            f"  spans crossing a sentence boundary (labelling each sentence they cover): {self.crossing_spans}",
            f"  overlaps of half a sentence or less (not labelling it): {self.small_overlaps}",
        ]
        lines += [f"  skipped {what}: {n}" for what, n in sorted(self.skipped.items())]
        return "\n".join(lines)


def _nonspace_prefix(text: str) -> list[int]:
    """prefix[i] = non-space characters in text[:i]."""
    prefix = [0] * (len(text) + 1)
    total = 0
    for i, ch in enumerate(text):
        total += not ch.isspace()
        prefix[i + 1] = total
    return prefix


def label_sentences(text: str, spans: Sequence[Span], labels: LabelSet, default: str | None,
                    where: str = "") -> tuple[list[Sentence], ImportCounts, list[str]]:
    """Sentences of ``text`` with the labels ``spans`` give them; returns (sentences, counts, problems).

    ``default`` is the label of a sentence no span covers (``None``: that is a problem, as with ``--strict``, and
    so is a span that labels no sentence, e.g. a heading the segmenter merged into the next sentence).
    """
    counts = ImportCounts(articles=1, spans=len(spans))
    problems: list[str] = []
    strict_spans = default is None  # --strict: a span whose label no sentence takes is an error too
    sentence_spans = segment(text)
    prefix = _nonspace_prefix(text)
    starts = [s for s, _ in sentence_spans]
    # per sentence: label -> covered non-space characters
    covered: list[dict[str, int]] = [{} for _ in sentence_spans]
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        first = max(bisect.bisect_right(starts, span.start) - 1, 0)
        labelled = 0
        i = first
        while i < len(sentence_spans) and sentence_spans[i][0] < span.end:
            s, e = sentence_spans[i]
            lo, hi = max(s, span.start), min(e, span.end)
            if hi > lo:
                n = prefix[hi] - prefix[lo]
                bucket = covered[i]
                bucket[span.label] = bucket.get(span.label, 0) + n
                if 2 * n > prefix[e] - prefix[s]:
                    labelled += 1
                elif n:
                    counts.small_overlaps += 1
            i += 1
        counts.crossing_spans += labelled > 1
        if strict_spans and not labelled and prefix[span.end] > prefix[span.start]:  # its label would be lost
            problems.append(f"{where}span {span.start}:{span.end} ({span.label}, {text[span.start:span.end][:40]!r}) "
                            "covers no sentence by more than half: the segmenter merged it into a longer sentence "
                            "(a heading without final punctuation?) (--strict); end it with a line break or a full "
                            "stop in the text, or drop --strict")
    sentences = []
    for i, (s, e) in enumerate(sentence_spans):
        half = (prefix[e] - prefix[s]) / 2
        winners = [name for name in labels if covered[i].get(name, 0) > half]
        if winners:
            counts.labelled_by_span += 1
            counts.several_labels += len(winners) > 1
            label = winners[0]
        elif default is None:
            problems.append(f"{where}sentence {i} ({s}:{e}, {text[s:e][:40]!r}) is covered by no labelled span "
                            "(--strict); label it in the tool, or drop --strict to give it the default label")
            continue
        else:
            counts.defaulted += 1
            label = default
        sentences.append(Sentence(s, e, label))
    counts.sentences = len(sentences)
    return sentences, counts, problems
