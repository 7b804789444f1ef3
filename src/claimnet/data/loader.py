"""Checking annotated articles: every problem named with its file and line.

A file with several bad lines reports them all (up to ``max_errors``) in one
:class:`~claimnet.errors.DataError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from claimnet.data.articles import Article, Sentence
from claimnet.data.jsonl import check_file, iter_records, sniff_format
from claimnet.errors import DataError


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_record(record: Any, labels: Iterable[str] | None) -> tuple[Article | None, list[str]]:
    """Check one decoded JSON record; return the article (or None) and its problems.

    Problems are phrased without a location so the caller can prefix ``file:line``.
    """
    if not isinstance(record, dict):
        return None, [f"expected a JSON object, got {type(record).__name__}"]
    problems: list[str] = []
    missing = [k for k in ("id", "text", "sentences") if k not in record]
    if missing:
        return None, [
            f"missing required field(s) {missing}; an article needs 'id', 'text' and 'sentences'"
        ]
    art_id, text, sents = record["id"], record["text"], record["sentences"]
    if not isinstance(art_id, str) or not art_id.strip():
        problems.append(f"'id' must be a non-empty string, got {art_id!r}")
    if not isinstance(text, str):
        return None, problems + [f"'text' must be a string, got {type(text).__name__}"]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return None, problems + [f"'text' holds a lone surrogate (U+{ord(text[exc.start]):04X} at character "
                                 f"{exc.start}), which is not text; fix the file's encoding"]
    if not isinstance(sents, list) or not sents:
        return None, problems + ["'sentences' must be a non-empty list of {start, end, label}"]
    allowed = list(labels) if labels is not None else None
    parsed: list[Sentence] = []
    prev_end = 0
    for i, s in enumerate(sents):
        where = f"sentence {i}"
        if not isinstance(s, dict):
            problems.append(f"{where} must be an object with start, end, label; got {s!r}")
            continue
        start, end, label = s.get("start"), s.get("end"), s.get("label")
        if not _is_int(start) or not _is_int(end):
            problems.append(f"{where}: 'start' and 'end' must be integers, got {start!r} and {end!r}")
            continue
        if start < 0:
            problems.append(f"{where} starts at {start}, before the start of the text")
            continue
        if end > len(text):
            problems.append(
                f"{where} ends at {end}, past the end of the text ({len(text)} characters)"
            )
            continue
        if end <= start:
            problems.append(f"{where} is empty or reversed: start {start}, end {end}")
            continue
        if start < prev_end:
            problems.append(
                f"{where} starts at {start}, inside or before the previous sentence "
                f"(which ends at {prev_end}); sentences must be sorted and not overlap"
            )
        if not text[start:end].strip():
            problems.append(f"{where} ({start}:{end}) holds only white space")
        if allowed is not None:
            if label is None:
                problems.append(f"{where} has no 'label'; expected one of {allowed}")
            elif label not in allowed:
                problems.append(f"{where} has unknown label {label!r}; expected one of {allowed}")
        elif label is not None and not isinstance(label, str):
            problems.append(f"{where}: 'label' must be a string, got {label!r}")
        prev_end = max(prev_end, end)
        parsed.append(Sentence(start, end, label))
    if problems:
        return None, problems
    metadata = {k: record[k] for k in record if k not in ("id", "text", "sentences")}
    return Article(art_id, text, tuple(parsed), metadata), []


def iter_articles(
    path: str | Path, labels: Iterable[str] | None = None, max_errors: int = 20, limit: int | None = None
) -> Iterator[Article]:
    """Stream and validate a JSONL file of articles, one line in memory at a time.

    Good articles are yielded as they are read; once the file (or ``limit``
    articles) has been read, a :class:`DataError` names every bad line, up to
    ``max_errors`` of them, so a consumer that builds something from the stream
    (an Arrow cache) must discard it when the error comes.
    """
    path = check_file(path, "a .jsonl file of articles")
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise DataError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    with handle:
        looks = sniff_format(handle.read(4096))
        if looks:
            raise DataError([f"{path}: this file looks like {looks}. claimnet reads JSON Lines: one article per "
                             "line, {\"id\", \"text\", \"sentences\": [{\"start\", \"end\", \"label\"}]}"])
        handle.seek(0)
        labels = list(labels) if labels is not None else None
        problems: list[str] = []
        hidden = 0
        seen_ids: dict[str, int] = {}
        for lineno, record, problem in iter_records(handle, str(path)):
            if limit is not None and len(seen_ids) >= limit:
                break
            found = [problem] if problem else []
            article = None
            if not problem:
                article, issues = validate_record(record, labels)
                found = [f"{path}:{lineno}: {p}" for p in issues]
                if article is not None and article.id in seen_ids:
                    found = [f"{path}:{lineno}: duplicate article id {article.id!r} "
                             f"(first seen on line {seen_ids[article.id]})"]
                    article = None
            for message in found:  # every bad line is counted; the first max_errors are shown
                if len(problems) < max_errors:
                    problems.append(message)
                else:
                    hidden += 1
            if article is not None:
                seen_ids[article.id] = lineno
                if not problems:
                    yield article
    if problems:
        raise DataError(problems, hidden=hidden)
    if not seen_ids:
        raise DataError([f"{path}: holds no articles (the file is empty)"])


def load_articles(
    path: str | Path, labels: Iterable[str] | None = None, max_errors: int = 20
) -> list[Article]:
    """Read and validate a JSONL file of articles.

    ``labels`` is the allowed label set (``None`` accepts unlabelled sentences,
    as for text to tag). Raises :class:`DataError` naming every bad line, up to
    ``max_errors`` of them.
    """
    return list(iter_articles(path, labels, max_errors))
