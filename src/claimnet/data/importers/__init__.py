"""Importers: annotation tools' exports into claimnet's JSONL articles.

One module per tool (``labelstudio``, ``doccano``, ``brat``, ``csv``); each reads
its source into :class:`Source` articles (text plus labelled spans, or ready
sentences for CSV) and :func:`build_articles` turns them into checked
:class:`~claimnet.data.articles.Article` objects with claimnet's segmentation.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claimnet.data.alignment import ImportCounts, Span, label_sentences
from claimnet.data.articles import Article, Sentence
from claimnet.errors import DataError
from claimnet.labels import LabelSet

IMPORT_FORMATS = ("labelstudio", "doccano", "brat", "csv")


@dataclass
class Source:
    """One article as a tool holds it: text, labelled spans (or sentences), where it came from."""

    id: str
    text: str
    where: str
    spans: list[Span] = field(default_factory=list)
    sentences: list[Sentence] | None = None  # already cut (CSV): used as they are
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportResult:
    articles: list[Article] | Iterator[Article]  # an iterator when streamed: counts fill as it is consumed
    counts: ImportCounts
    notes: list[str] = field(default_factory=list)  # one line each: what the importer decided


class LabelMap:
    """Tool label -> claimnet label: ``--label-map Claim=claim,3=hedge``, else a case-insensitive name match."""

    def __init__(self, labels: LabelSet, mapping: Mapping[str, str] | None = None) -> None:
        self.labels = labels
        self.mapping = dict(mapping or {})
        bad = {k: v for k, v in self.mapping.items() if v not in labels}
        if bad:
            raise DataError([f"--label-map maps to label(s) not in the label set {list(labels)}: {bad}"])
        self._folded = {name.casefold(): name for name in labels}

    @classmethod
    def parse(cls, labels: LabelSet, text: str | None) -> LabelMap:
        mapping = {}
        for item in filter(None, (text or "").split(",")):
            source, sep, target = item.partition("=")
            if not sep or not source.strip() or not target.strip():
                raise DataError([f"--label-map item {item!r} is not SOURCE=LABEL (e.g. Claim=claim,3=hedge)"])
            mapping[source.strip()] = target.strip()
        return cls(labels, mapping)

    def __call__(self, label: Any, where: str) -> str:
        key = str(label)
        if key in self.mapping:
            return self.mapping[key]
        if key.casefold() in self._folded:
            return self._folded[key.casefold()]
        raise DataError([f"{where}: label {key!r} is not one of {list(self.labels)}; "
                         f"map it with --label-map {key}=LABEL"])


def check_text(text: Any, where: str) -> str:
    """A text field must be a string that UTF-8 can hold (no lone surrogates)."""
    if not isinstance(text, str):
        raise DataError([f"{where}: the text must be a string, got {type(text).__name__}"])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataError([f"{where}: the text holds a lone surrogate (U+{ord(text[exc.start]):04X} at character "
                         f"{exc.start}); it cannot be written as UTF-8"]) from None
    return text


def check_span(text: str, start: Any, end: Any, where: str, quoted: str | None = None) -> tuple[int, int]:
    """Offsets inside the text, in order; where the tool gave the span's text, it must match."""
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)):
        raise DataError([f"{where}: span offsets must be integers, got {start!r} and {end!r}"])
    if not 0 <= start < end <= len(text):
        raise DataError([f"{where}: span {start}:{end} is empty, reversed or outside the text "
                         f"({len(text)} characters)"])
    if quoted is not None and text[start:end] != quoted:
        raise DataError([f"{where}: span {start}:{end} reads {text[start:end]!r} in the text but the export says "
                         f"{quoted!r}; the offsets do not index this text"])
    return start, end


def stream_articles(sources: Iterable[Source], labels: LabelSet, default: str | None, max_errors: int,
                    counts: ImportCounts, problems: list[str],
                    reader_counts: ImportCounts | None = None) -> Iterator[Article]:
    """Cut, label and check each source article as it comes; once all are through, every problem (the reader's,
    appended to ``problems`` as it read, and these) in one DataError, up to ``max_errors``."""
    seen: dict[str, str] = {}
    built = 0
    for src in sources:
        if src.id in seen:
            problems.append(f"{src.where}: duplicate article id {src.id!r} (first at {seen[src.id]})")
            continue
        seen[src.id] = src.where
        if src.sentences is not None:
            sentences, found = src.sentences, ImportCounts(articles=1, sentences=len(src.sentences))
        else:
            sentences, found, bad = label_sentences(src.text, src.spans, labels, default, f"{src.where}: ")
            problems.extend(bad)
        counts.add(found)
        if not sentences:
            problems.append(f"{src.where}: article {src.id!r} has no sentence (empty text?)")
            continue
        built += 1
        yield Article(src.id, src.text, tuple(sentences), src.metadata)
    raise_problems(problems, max_errors)
    if not built:
        raise DataError(["the source holds no articles"])
    for what, n in (reader_counts.skipped.items() if reader_counts else ()):
        counts.skip(what, n)


def build_articles(sources: Iterable[Source], labels: LabelSet, default: str | None,
                   max_errors: int = 20) -> tuple[list[Article], ImportCounts]:
    """Cut, label and check every source article; all problems (up to ``max_errors``) in one DataError."""
    counts = ImportCounts()
    return list(stream_articles(sources, labels, default, max_errors, counts, [])), counts


def raise_problems(problems: list[str], max_errors: int) -> None:
    """Every problem found so far (up to ``max_errors``, the rest counted) in one DataError."""
    if problems:
        raise DataError(problems[:max_errors], hidden=max(0, len(problems) - max_errors))


def import_result(sources: Iterable[Source], problems: list[str], labels: LabelSet, default: str | None,
                  max_errors: int, reader_counts: ImportCounts | None = None, stream: bool = False) -> ImportResult:
    """What every importer ends with: the built articles and all the counts, or every problem in one DataError.

    ``stream``: the articles as an iterator, built as the reader yields its sources, so memory holds one article
    at a time (the writer then writes whole or not at all); otherwise a list.
    """
    counts = ImportCounts()
    articles = stream_articles(sources, labels, default, max_errors, counts, problems, reader_counts)
    return ImportResult(articles if stream else list(articles), counts)


def importer(fmt: str) -> Callable[..., ImportResult]:
    """The ``read`` function of one importer module (loaded on demand)."""
    if fmt not in IMPORT_FORMATS:
        raise DataError([f"--from must be one of {list(IMPORT_FORMATS)}. Got {fmt!r} instead."])
    name = "csv_rows" if fmt == "csv" else fmt
    return importlib.import_module(f"claimnet.data.importers.{name}").read


STREAMED = ("labelstudio", "doccano")  # importers that read their file a piece at a time


def import_source(fmt: str, src: str | Path, labels: LabelSet, stream: bool = False, **options: Any) -> ImportResult:
    """Read one tool's export; ``stream`` (the CLI's choice) keeps memory flat where the importer can."""
    if stream and fmt in STREAMED:
        options["stream"] = True
    return importer(fmt)(Path(src), labels, **options)
