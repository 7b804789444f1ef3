"""Training data for the Trainer: each sentence encoded as the runtime will encode it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from claimnet.data import Article
from claimnet.labels import LabelSet
from claimnet.runtime.encoding import SentenceEncoder, context_pairs


def encode_articles(articles: Sequence[Article], encoder: SentenceEncoder, window: int, labels: LabelSet):
    """A ``datasets.Dataset`` of encoded sentences with label ids and lengths (for length grouping)."""
    from datasets import Dataset

    columns: dict[str, list[Any]] = {
        "input_ids": [], "token_type_ids": [], "attention_mask": [], "labels": [], "length": []
    }
    for article in articles:
        pairs = context_pairs(article.sentence_texts(), window)
        for enc in encoder.encode(pairs):
            for key in ("input_ids", "token_type_ids", "attention_mask"):
                columns[key].append(enc[key])
            columns["length"].append(len(enc["input_ids"]))
        columns["labels"].extend(labels.encode(article.labels()))
    return Dataset.from_dict(columns)
