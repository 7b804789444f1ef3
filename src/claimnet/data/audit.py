"""``claimnet data validate``: every problem in every file, and what the loader alone cannot see.

Beyond the loader's checks (JSON, fields, offsets, labels): article ids and
texts repeated across the given files (a leak between train and test is an
error), and stretches of non-white-space text that no sentence covers (a
warning: the model never sees them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from claimnet.data.articles import Article
from claimnet.data.jsonl import read_bytes
from claimnet.data.loader import iter_articles
from claimnet.errors import DataError
from claimnet.labels import LabelSet


@dataclass
class Report:
    """What ``validate`` found: errors make it exit 1, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    articles: dict[str, list[Article]] = field(default_factory=dict)


def uncovered_stretches(article: Article, min_chars: int = 1) -> list[tuple[int, int]]:
    """Ranges of the text outside every sentence that hold non-white-space characters."""
    gaps, pos = [], 0
    for s in [*article.sentences, None]:
        end = s.start if s is not None else len(article.text)
        piece = article.text[pos:end]
        if len(piece.strip()) >= min_chars:
            lead = len(piece) - len(piece.lstrip())
            gaps.append((pos + lead, pos + lead + len(piece.strip())))
        if s is not None:
            pos = s.end
    return gaps


def validate_files(paths: Sequence[str | Path], labels: LabelSet) -> Report:
    """Check each file fully, then the files against each other."""
    for path in paths:  # a file that cannot be found is a usage error (exit 2), not a finding
        if not Path(path).is_file():
            read_bytes(path, "a .jsonl file of articles")  # raises the loader's own message
    report = Report()
    first_id: dict[str, str] = {}
    first_text: dict[str, str] = {}
    for path in paths:
        articles: list = []  # the good articles of the file, also when some lines are bad (they are counted)
        try:
            articles.extend(iter_articles(path, labels.names, max_errors=10**9))
        except DataError as exc:
            report.errors.extend(exc.problems)
        report.articles[str(path)] = articles
        for article in articles:
            where = f"{path}: article {article.id!r}"
            if article.id in first_id and first_id[article.id] != str(path):
                report.errors.append(f"{where}: id also used in {first_id[article.id]}")
            first_id.setdefault(article.id, str(path))
            digest = hashlib.sha256(" ".join(article.text.split()).encode("utf-8")).hexdigest()
            if digest in first_text and first_text[digest] != where:
                report.errors.append(f"{where}: the same text as {first_text[digest]} (a leak between splits "
                                     "when the files are train and test)")
            first_text.setdefault(digest, where)
            for s, e in uncovered_stretches(article):
                report.warnings.append(f"{where}: characters {s}:{e} ({article.text[s:e][:40]!r}) are in no "
                                       "sentence; the model never sees them")
    return report
