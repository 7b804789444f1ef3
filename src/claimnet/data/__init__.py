"""Annotated data: articles, the JSONL reader, validation, splits (importers come here)."""

from claimnet.data.articles import Article, Sentence, label_counts, summarize
from claimnet.data.splits import SPLITS, load_splits
from claimnet.data.validation import iter_articles, load_articles, validate_record

__all__ = ["Article", "Sentence", "label_counts", "summarize", "load_articles", "iter_articles", "validate_record",
           "load_splits", "SPLITS"]
