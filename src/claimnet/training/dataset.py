"""Training data as Arrow: streamed from JSONL, validated, encoded, cached and memory-mapped.

The JSONL file is read a line at a time (:func:`claimnet.data.iter_articles`
names every bad line with its file and line), each article's sentences are
encoded as the runtime will encode them, and ``datasets`` writes the rows to an
Arrow file in batches. Training reads that file memory-mapped, so memory does
not grow with the corpus. The cache key hashes the input file's bytes and every
encoding setting: a second run on the same data and settings goes straight to
training, and a change to either builds a new cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import iter_articles
from claimnet.data.articles import SplitCounts
from claimnet.data.soft_labels import SoftLabels
from claimnet.errors import ClaimnetError, DataError
from claimnet.labels import LabelSet
from claimnet.runtime.encoding import SentenceEncoder, context_pairs
from claimnet.runtime.files import sha256_file

FEATURES_VERSION = 1  # bump when the rows' layout or encoding changes: old caches are then not reused
WRITER_BATCH = 10_000  # rows datasets holds before writing them to the Arrow file
IGNORED = -100  # a label the loss and the metrics skip (torch's ignore_index)
UNLABELLED_ARTICLE = -1  # the article index of a teacher-labelled unlabelled sentence (not a training article)


def cache_key(path: str | Path, encoder: SentenceEncoder, window: int, labels: LabelSet,
              limit: int | None, soft: dict[str, Any] | None = None) -> str:
    """A hash of the input file's bytes and every setting that changes the encoded rows (soft labels included)."""
    settings = {"version": FEATURES_VERSION, "file": sha256_file(path), "labels": list(labels),
                "window": window, "limit": limit, "max_length": encoder.max_length, "pad_id": encoder.pad_id,
                "tokenizer": hashlib.sha256(encoder.tokenizer.to_str().encode()).hexdigest(), "soft": soft}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:32]


def _row(enc: dict[str, Any], label: int, index: int) -> dict[str, Any]:
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
            "attention_mask": enc["attention_mask"], "labels": label, "length": len(enc["input_ids"]),
            "article": index}


def _rows(path: str, labels: LabelSet, encoder: SentenceEncoder, window: int, limit: int | None,
          max_errors: int, soft: SoftLabels | None = None) -> Iterator[dict[str, Any]]:
    for index, article in enumerate(iter_articles(path, labels.names, max_errors, limit)):
        pairs = context_pairs(article.sentence_texts(), window)
        for enc, label, sentence in zip(encoder.encode(pairs), labels.encode(article.labels()), article.sentences):
            row = _row(enc, label, index)
            if soft is not None:
                found = soft.for_sentence(article.id, (sentence.start, sentence.end))
                if found is None:
                    raise DataError([f"{soft.path}: no soft label for article {article.id!r} sentence "
                                     f"{sentence.start}:{sentence.end} of {path}; run `claimnet distill` again"])
                row["soft_labels"] = found.tolist()
            yield row
    for unlabelled in (soft.unlabelled if soft is not None else ()):
        pairs = context_pairs([unlabelled.text[s:e] for s, e in unlabelled.spans], window)
        for enc, log_probs in zip(encoder.encode(pairs), unlabelled.log_probs):
            yield _row(enc, IGNORED, UNLABELLED_ARTICLE) | {"soft_labels": log_probs.tolist()}


def encoded_split(path: str | Path, labels: LabelSet, encoder: SentenceEncoder, window: int, *,
                  cache_dir: str | Path, limit: int | None = None, max_errors: int = 20,
                  soft: SoftLabels | None = None):
    """The split's sentences as a memory-mapped ``datasets.Dataset`` (built once, then read from the cache).

    Columns: ``input_ids``, ``token_type_ids``, ``attention_mask``, ``labels``,
    ``length`` (for length-grouped batches) and ``article`` (the article's index);
    with ``soft`` labels (:mod:`claimnet.data.soft_labels`) also ``soft_labels``, the
    teacher's log-probabilities, and after the file's sentences the soft file's
    unlabelled ones (label ``-100``, article ``-1``). A file with bad lines raises
    :class:`~claimnet.errors.DataError` and leaves no cache.
    """
    import datasets
    from datasets import Dataset, Features, List, Value
    from datasets.exceptions import DatasetGenerationError

    key = cache_key(path, encoder, window, labels, limit, soft.key() if soft is not None else None)
    columns = {"input_ids": List(Value("int32")), "token_type_ids": List(Value("int8")),
               "attention_mask": List(Value("int8")), "labels": Value("int64"),
               "length": Value("int32"), "article": Value("int32")}
    if soft is not None:
        columns["soft_labels"] = List(Value("float32"))
    features = Features(columns)
    generator, kwargs = _rows, {"window": window, "soft": soft}
    quiet = datasets.is_progress_bar_enabled()
    if quiet:  # a bar per split in every run's log says nothing the data summary does not
        datasets.disable_progress_bars()
    try:
        return Dataset.from_generator(
            generator, features=features, cache_dir=str(cache_dir), fingerprint=key, writer_batch_size=WRITER_BATCH,
            gen_kwargs={"path": str(path), "labels": labels, "encoder": encoder, "limit": limit,
                        "max_errors": max_errors, **kwargs},
        )
    except DatasetGenerationError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ClaimnetError):
            raise cause from None
        raise
    finally:
        if quiet:
            datasets.enable_progress_bars()


def split_counts(dataset, labels: LabelSet) -> SplitCounts:
    """Articles, sentences and label counts of an encoded split, read from its Arrow columns."""
    import pyarrow.compute as pc

    table = dataset.data  # the Arrow table itself: whole columns, not rows one at a time
    column = table.column("labels")
    if hasattr(column.type, "value_type"):  # article windows: a list per row, -100 where another window labels
        column = pc.list_flatten(column)
    ids = column.to_numpy()
    ids = ids[ids != IGNORED]
    counts = np.bincount(ids, minlength=len(labels))
    articles = int(table.column("article").to_numpy().max()) + 1 if len(ids) else 0
    return SplitCounts(articles, int(len(ids)), {name: int(counts[i]) for i, name in enumerate(labels)})
