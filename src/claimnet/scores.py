"""The F1 arithmetic every side shares: checkpoint selection in training, the int8 check, reports.

Below training, export and evaluation (siblings that do not import each other),
so the one macro-F1 is defined once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def confusion(gold: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """A k x k matrix: rows gold, columns predicted."""
    return np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)


def f1_from_confusion(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support per label (0 where undefined, as scikit-learn's zero_division=0)."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
    support = cm.sum(axis=-1).astype(float)
    predicted = cm.sum(axis=-2).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, support


def per_label_f1(gold: np.ndarray, pred: np.ndarray, k: int) -> list[float]:
    """F1 of each label id 0..k-1 (0 where undefined)."""
    _, _, f1, _ = f1_from_confusion(confusion(np.asarray(gold, int), np.asarray(pred, int), k))
    return [float(x) for x in f1]


def macro_f1(gold: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Mean F1 over the labels present in ``gold``: the one macro-F1 of claimnet.

    Checkpoint selection, the int8 check, the benchmark and the reports all use
    it. A label absent from gold is left out even when predicted (scikit-learn's
    ``average="macro"`` would count it as 0).
    """
    _, _, f1, support = f1_from_confusion(confusion(np.asarray(gold, int), np.asarray(pred, int), k))
    present = support > 0
    return float(f1[present].mean()) if present.any() else 0.0


def figures(metrics: Mapping[str, Any], split: str) -> dict[str, float]:
    """A split's headline figures under flat names (``dev_macro_f1``, ``dev_f1_hedge``, ...).

    The names MLflow records and ``optimized_metric`` picks from.
    """
    out = {f"{split}_macro_f1": float(metrics["macro_f1"]), f"{split}_accuracy": float(metrics["accuracy"])}
    out.update({f"{split}_f1_{label}": float(m["f1"]) for label, m in metrics["per_label"].items()})
    return out
