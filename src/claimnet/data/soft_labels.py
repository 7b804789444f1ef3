"""A teacher's soft labels: one versioned file, its provenance first, keyed by article id and sentence offsets.

``claimnet distill`` writes it; training reads it when
``trainer.distillation.weight`` > 0. The file is gzip-compressed JSON Lines:

* line 1, the provenance: format version, label set, the teacher (its config,
  commit, dev and test figures, temperature), and the SHA-256 of every file it
  labelled;
* then one line per article: ``{"id", "split", "spans": [[start, end], ...],
  "log_probs": [[...], ...]}``, with ``"text"`` for unlabelled articles (train
  articles have theirs in the training file).

Soft labels are only as good as the match to their training file, so
:func:`read_soft_labels` refuses a file made for other data (another SHA-256 or
label set), naming both.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.errors import DataError

FORMAT = "claimnet-soft-labels"
FORMAT_VERSION = 1
TRAIN, UNLABELLED = "train", "unlabelled"


@dataclass
class SoftArticle:
    """One article's soft labels: its sentence spans and the teacher's log-probabilities for each."""

    id: str
    split: str
    spans: list[tuple[int, int]]
    log_probs: np.ndarray  # (sentences, labels)
    text: str | None = None


@dataclass
class SoftLabels:
    """A soft-label file read back: provenance, train articles by id, unlabelled articles in file order."""

    path: str
    sha256: str
    provenance: dict[str, Any]
    train: dict[str, SoftArticle] = field(default_factory=dict)
    unlabelled: list[SoftArticle] = field(default_factory=list)

    def key(self) -> dict[str, Any]:
        """What identifies the rows these soft labels add (for the training data's cache key)."""
        return {"sha256": self.sha256, "unlabelled_sentences": sum(len(a.spans) for a in self.unlabelled)}

    def for_sentence(self, article_id: str, span: tuple[int, int]) -> np.ndarray | None:
        """The teacher's log-probabilities for one train sentence, or None when the file has none for it."""
        article = self.train.get(article_id)
        if article is None:
            return None
        try:
            return article.log_probs[article.spans.index(tuple(span))]
        except ValueError:
            return None


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def soft_label_lines(provenance: Mapping[str, Any], articles: Iterable[SoftArticle]) -> Iterator[bytes]:
    """The file's lines (uncompressed): provenance, then one per article, log-probabilities to 4 decimals."""
    yield _line({"format": FORMAT, "format_version": FORMAT_VERSION, **provenance})
    for article in articles:
        record: dict[str, Any] = {"id": article.id, "split": article.split,
                                  "spans": [list(s) for s in article.spans],
                                  "log_probs": np.round(np.asarray(article.log_probs, dtype=np.float64), 4).tolist()}
        if article.text is not None:
            record["text"] = article.text
        yield _line(record)


def write_soft_labels(path: str | Path, provenance: Mapping[str, Any], articles: Iterable[SoftArticle]) -> Path:
    """Write the file whole or not at all (claimnet's atomic writer), gzip-compressed; returns its path."""
    from claimnet.runtime.files import open_output

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_output(path, binary=True) as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for line in soft_label_lines(provenance, articles):
            out.write(line)
    return path


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The file's first line (what made it), checked to be a soft-label file claimnet reads."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such soft-label file (data.soft_labels); `claimnet distill` writes one")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            first = json.loads(fh.readline())
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}:1: not a gzip-compressed soft-label file ({exc})") from None
    if not isinstance(first, dict) or first.get("format") != FORMAT:
        raise DataError(f"{path}:1: not a claimnet soft-label file (its first line has no \"format\": \"{FORMAT}\")")
    if first.get("format_version") != FORMAT_VERSION:
        raise DataError(f"{path}:1: soft-label format_version {first.get('format_version')!r}; this claimnet reads "
                        f"version {FORMAT_VERSION}")
    return first


def check_match(provenance: Mapping[str, Any], path: str | Path, train_path: str | Path, train_sha256: str,
                labels: Sequence[str]) -> None:
    """Refuse soft labels made for another training file (content, not name) or another label set."""
    made_for = (provenance.get("labelled") or {}).get(TRAIN) or {}
    if made_for.get("sha256") != train_sha256:
        raise DataError(
            f"{path}: these soft labels were made for a training file with SHA-256 {str(made_for.get('sha256'))[:16]}"
            f"... ({made_for.get('path')}), but data.train_path {train_path} has SHA-256 {train_sha256[:16]}...: "
            "run `claimnet distill` on this data, or train without them (trainer.distillation.weight=0)")
    if list(provenance.get("labels") or []) != list(labels):
        raise DataError(f"{path}: soft labels over {provenance.get('labels')}, but data.labels is {list(labels)}")


def read_soft_labels(path: str | Path, train_path: str | Path, train_sha256: str, labels: Sequence[str],
                     unlabelled_limit: int | None = None) -> SoftLabels:
    """Read a soft-label file for ``train_path`` (refused unless made for exactly that file and label set).

    ``unlabelled_limit`` keeps the first N unlabelled sentences (whole articles, in file order: random).
    """
    provenance = read_provenance(path)
    check_match(provenance, path, train_path, train_sha256, labels)
    from claimnet.runtime.files import sha256_file

    soft = SoftLabels(str(path), sha256_file(path), provenance)
    taken = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        next(fh)
        for number, line in enumerate(fh, start=2):
            try:
                record = json.loads(line)
                article = SoftArticle(str(record["id"]), record["split"], [tuple(s) for s in record["spans"]],
                                      np.asarray(record["log_probs"], dtype=np.float32), record.get("text"))
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{path}:{number}: not a soft-label line ({exc})") from None
            if article.log_probs.shape != (len(article.spans), len(labels)):
                raise DataError(f"{path}:{number}: {len(article.spans)} spans but log_probs of shape "
                                f"{article.log_probs.shape}; expected ({len(article.spans)}, {len(labels)})")
            if article.split == TRAIN:
                soft.train[article.id] = article
            elif article.split == UNLABELLED and article.text is not None:
                if unlabelled_limit is not None and taken >= unlabelled_limit:
                    continue
                keep = min(len(article.spans), unlabelled_limit - taken) if unlabelled_limit is not None else None
                if keep is not None and keep < len(article.spans):
                    article.spans, article.log_probs = article.spans[:keep], article.log_probs[:keep]
                taken += len(article.spans)
                soft.unlabelled.append(article)
            else:
                raise DataError(f"{path}:{number}: split {article.split!r}: expected {TRAIN!r}, or {UNLABELLED!r} "
                                "with the article's text")
    return soft
