"""Unlabelled articles for a teacher to label: JSON Lines (or ``.jsonl.gz``) with ``text`` or ``paragraphs``.

Annotated claimnet JSONL reads as well (its labels are ignored). A bad line is
named with its file and line, as everywhere else.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from claimnet.data.jsonl import check_file, iter_records
from claimnet.errors import DataError

PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class UnlabelledArticle:
    id: str
    text: str


def _lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        yield from fh


def iter_unlabelled(path: str | Path, max_errors: int = 20) -> Iterator[UnlabelledArticle]:
    """The file's articles; ``paragraphs`` are joined by a blank line (the segmenter's paragraph break)."""
    path = check_file(path, "a .jsonl or .jsonl.gz file of articles")
    problems: list[str] = []
    for lineno, record, problem in iter_records(_lines(path), str(path)):
        if problem is None and not isinstance(record, dict):
            problem = f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}"
        if problem is None:
            text = record.get("text")
            paragraphs = record.get("paragraphs")
            if isinstance(paragraphs, list) and all(isinstance(p, str) for p in paragraphs):
                text = PARAGRAPH_BREAK.join(p.strip() for p in paragraphs if p.strip())
            if not isinstance(text, str):
                problem = (f"{path}:{lineno}: an unlabelled article needs \"text\" (a string) or \"paragraphs\" "
                           "(a list of strings)")
            else:
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError as exc:
                    problem = (f"{path}:{lineno}: the text holds a lone surrogate (U+{ord(text[exc.start]):04X}), "
                               "which is not text; fix the file's encoding")
        if problem is not None:
            problems.append(problem)
            if len(problems) >= max_errors:
                break
            continue
        if text.strip():
            yield UnlabelledArticle(str(record.get("id", f"{path.name}:{lineno}")), text)
    if problems:
        raise DataError(problems)
