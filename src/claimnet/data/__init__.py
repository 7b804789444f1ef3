"""Annotated data: articles, the JSONL reader, validation, splits (importers come here)."""

from claimnet.data.articles import Article, Sentence, label_counts, summarize
from claimnet.data.loader import iter_articles, load_articles, validate_record
from claimnet.data.splits import SPLITS, load_splits

__all__ = ["Article", "Sentence", "label_counts", "summarize", "load_articles", "iter_articles", "validate_record",
           "load_splits", "SPLITS"]
