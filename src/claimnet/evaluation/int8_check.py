"""The int8 rule: int8 ONNX ships unless it loses more than ``export.int8_max_f1_drop`` dev macro-F1 to fp32.

The gate is the point estimate of the drop (default 0.005): int8 is judged on
quality, not on raw agreement. Agreement with fp32 over every dev sentence and a
paired article-level bootstrap interval of the drop are reported beside it, in
the manifest and the model card, not gated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import Article
from claimnet.evaluation.scoring import gold_ids, predict_articles
from claimnet.runtime.tagger import ClaimTagger
from claimnet.scores import macro_f1

log = logging.getLogger(__name__)


def paired_drop_interval(gold: list[np.ndarray], fp32: list[np.ndarray], int8: list[np.ndarray], k: int,
                         resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% interval of macro-F1(fp32) - macro-F1(int8), resampling articles (the same ones for both)."""
    rng = np.random.default_rng(seed)
    n, drops = len(gold), []
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        g = np.concatenate([gold[i] for i in pick])
        drops.append(macro_f1(g, np.concatenate([fp32[i] for i in pick]), k)
                     - macro_f1(g, np.concatenate([int8[i] for i in pick]), k))
    low, high = np.percentile(drops, [2.5, 97.5])
    return float(low), float(high)


def compare_int8(export_dir: Path, dev: Sequence[Article], max_drop: float = 0.005,
                 manifest: dict[str, Any] | None = None, resamples: int = 1000) -> dict[str, Any]:
    """Compare int8 with fp32 on ``dev``: the figures, and ``included`` (with the ``reason`` when not).

    The export holds both ONNX graphs; ``manifest`` is the one it will have, when it is not written yet.
    Dropping the int8 file is the caller's.
    """
    per_article, labels = {}, None
    for precision in ("fp32", "int8"):
        tagger = ClaimTagger.load(export_dir, backend="onnx", precision=precision, manifest=manifest)
        labels = tagger.label_set
        per_article[precision] = [p.argmax(axis=1) for p in predict_articles(tagger, dev)]
    preds = {name: np.concatenate(rows) for name, rows in per_article.items()}
    gold_rows = gold_ids(dev, labels)
    gold = np.concatenate(gold_rows)
    f1 = {name: macro_f1(gold, p, len(labels)) for name, p in preds.items()}
    agreement = float((preds["fp32"] == preds["int8"]).mean())
    drop = f1["fp32"] - f1["int8"]
    figures = {
        "split": "dev",
        "quantization": "token-wise dynamic int8",
        "agreement_with_fp32": agreement,
        "macro_f1_fp32": f1["fp32"],
        "macro_f1_int8": f1["int8"],
        "macro_f1_drop": drop,
        "macro_f1_drop_interval": list(paired_drop_interval(gold_rows, per_article["fp32"], per_article["int8"],
                                                            len(labels), resamples)) if resamples else None,
        "max_drop": float(max_drop),
        "rule": "kept unless dev macro-F1(fp32) - macro-F1(int8) > export.int8_max_f1_drop",
        "included": True,
    }
    reasons = []
    if drop > max_drop:
        reasons.append(f"it loses {drop:.4f} dev macro-F1 against fp32, more than export.int8_max_f1_drop={max_drop}")
    if reasons:
        figures["included"] = False
        figures["reason"] = "; ".join(reasons)
        log.warning("int8 ONNX left out: %s", figures["reason"])
    log.info("int8 vs fp32 on dev: agreement %.4f, macro-F1 %.4f vs %.4f",
             agreement, f1["int8"], f1["fp32"])
    return figures
