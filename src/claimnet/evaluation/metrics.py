"""Scores of a model on annotated articles: one ``metrics.json`` schema everywhere.

Confidence intervals come from a bootstrap over **articles** (sentences of one
article are not independent): each resample draws articles with replacement and
sums their confusion matrices; a resample with no gold example of a label
leaves that label out of that resample, and the count of resamples behind each
interval is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from claimnet.scores import confusion, f1_from_confusion, macro_f1

SCHEMA_VERSION = 1
# A bootstrap over fewer articles than this gives intervals that read as certainty (e.g. [0.782, 0.782]).
MIN_ARTICLES_FOR_INTERVALS = 10


def calibration_bins(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> dict[str, np.ndarray]:
    """Top-label confidence in equal-width bins: per bin ``count``, mean ``confidence`` and ``accuracy``."""
    conf = probs.max(axis=1) if len(gold) else np.zeros(0)
    correct = (probs.argmax(axis=1) == gold) if len(gold) else np.zeros(0, bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = np.bincount(which, weights=conf, minlength=bins) / count
        accuracy = np.bincount(which, weights=correct.astype(float), minlength=bins) / count
    return {"edges": edges, "count": count, "confidence": confidence, "accuracy": accuracy}


def expected_calibration_error(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-label confidence over equal-width bins."""
    if len(gold) == 0:
        return 0.0
    b = calibration_bins(probs, gold, bins)
    used = b["count"] > 0
    weights = b["count"][used] / len(gold)
    return float(np.sum(weights * np.abs(b["accuracy"][used] - b["confidence"][used])))


def bootstrap_intervals(
    article_cms: np.ndarray, labels: Sequence[str], resamples: int, seed: int, level: float = 0.95
) -> dict[str, Any]:
    """Percentile intervals for macro-F1 and each label's F1, resampling articles."""
    rng = np.random.default_rng(seed)
    n = len(article_cms)
    draws = rng.integers(0, n, size=(resamples, n))
    counts = np.stack([np.bincount(d, minlength=n) for d in draws])  # resamples x articles
    cms = np.einsum("ra,aij->rij", counts, article_cms)
    _, _, f1, support = f1_from_confusion(cms)  # resamples x k
    present = support > 0
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    macro = np.array([f1[r][present[r]].mean() for r in range(resamples)])
    out: dict[str, Any] = {
        "level": level,
        "resamples": resamples,
        "unit": "article",
        "macro_f1": {"low": float(np.quantile(macro, lo_q)), "high": float(np.quantile(macro, hi_q)),
                     "resamples": resamples},
        "per_label": {},
    }
    for j, label in enumerate(labels):
        vals = f1[present[:, j], j]
        if len(vals):
            out["per_label"][label] = {
                "low": float(np.quantile(vals, lo_q)),
                "high": float(np.quantile(vals, hi_q)),
                "resamples": int(len(vals)),
            }
        else:
            out["per_label"][label] = {"low": None, "high": None, "resamples": 0}
    return out


def compute_metrics(
    gold: Sequence[np.ndarray],
    probs: Sequence[np.ndarray],
    labels: Sequence[str],
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """All metrics for per-article gold label ids and predicted probabilities."""
    from sklearn.metrics import cohen_kappa_score

    labels = list(labels)
    k = len(labels)
    gold_all = np.concatenate(gold).astype(int)
    probs_all = np.concatenate(probs)
    pred_all = probs_all.argmax(axis=1)
    cm = confusion(gold_all, pred_all, k)
    precision, recall, f1, support = f1_from_confusion(cm)
    tp = np.trace(cm)
    metrics: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "articles": len(gold),
        "sentences": int(len(gold_all)),
        "macro_f1": macro_f1(gold_all, pred_all, k),
        "micro_f1": float(tp / len(gold_all)) if len(gold_all) else 0.0,
        "accuracy": float(tp / len(gold_all)) if len(gold_all) else 0.0,
        "kappa": float(cohen_kappa_score(gold_all, pred_all, labels=list(range(k)))),
        "ece": expected_calibration_error(probs_all, gold_all),
        "per_label": {
            label: {
                "precision": float(precision[j]),
                "recall": float(recall[j]),
                "f1": float(f1[j]),
                "support": int(support[j]),
            }
            for j, label in enumerate(labels)
        },
        "confusion_matrix": {"labels": labels, "rows": "gold", "columns": "predicted", "matrix": cm.tolist()},
    }
    if resamples:
        article_cms = np.stack([confusion(g.astype(int), p.argmax(axis=1), k) for g, p in zip(gold, probs)])
        metrics["intervals"] = bootstrap_intervals(article_cms, labels, resamples, seed)
    return metrics


def headline(metrics: Mapping[str, Any], name: str = "test") -> str:
    """One line: macro-F1 with its interval, then per-label F1."""
    ci = metrics.get("intervals", {}).get("macro_f1")
    interval = f" [{ci['low']:.3f}, {ci['high']:.3f}]" if ci else ""
    if ci and metrics.get("articles", MIN_ARTICLES_FOR_INTERVALS) < MIN_ARTICLES_FOR_INTERVALS:
        interval += f" (interval not meaningful: {metrics['articles']} article{'s' * (metrics['articles'] != 1)})"
    per_label = ", ".join(f"{l} {v['f1']:.3f}" for l, v in metrics["per_label"].items())
    return f"{name}: macro-F1 {metrics['macro_f1']:.3f}{interval} | {per_label}"
