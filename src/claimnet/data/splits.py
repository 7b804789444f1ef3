"""The train/dev/test splits a data config names (``configs/data/*.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from claimnet.data.articles import Article
from claimnet.data.loader import load_articles
from claimnet.labels import LabelSet

SPLITS = ("train", "dev", "test")


def load_splits(data_cfg: Mapping[str, Any], labels: LabelSet,
                names: Sequence[str] = SPLITS) -> dict[str, list[Article]]:
    """Read and check each split's ``<name>_path``, keeping ``limit_articles`` of each when set."""
    splits = {}
    for name in names:
        articles = load_articles(data_cfg[f"{name}_path"], labels.names, max_errors=data_cfg["max_errors"])
        if data_cfg.get("limit_articles"):
            articles = articles[: data_cfg["limit_articles"]]
        splits[name] = articles
    return splits
