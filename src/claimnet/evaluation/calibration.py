"""Temperature scaling: one number, fitted on dev, that makes the scores mean what they say.

The runtime divides the model's logits by the manifest's ``calibration.temperature``
before the softmax (every path: ONNX, torch, article model), so labels never
change (the argmax is the same) while a score of 0.8 comes to be right about
80% of the time. The temperature minimises dev negative log-likelihood; ECE on
dev and test before and after go into the manifest, the model card and the reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from claimnet.evaluation.metrics import expected_calibration_error


def rescaled(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities as if their logits had been divided by ``temperature`` (softmax of log p / T)."""
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=-1, keepdims=True)


def uncalibrated(probs: np.ndarray, temperature: float, biases: np.ndarray) -> np.ndarray:
    """The model's own softmax, from probabilities the runtime scaled (softmax of logits / T + biases)."""
    unbiased = np.clip(probs, 1e-12, 1.0) * np.exp(-np.asarray(biases, dtype=np.float64))
    return rescaled(unbiased / unbiased.sum(axis=-1, keepdims=True), 1.0 / temperature)


def nll(probs: np.ndarray, gold: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(gold)), gold], 1e-12, 1.0)).mean())


def fit_temperature(probs: Sequence[np.ndarray], gold: Sequence[np.ndarray], low: float = 0.05,
                    high: float = 20.0) -> float:
    """The temperature in [low, high] that minimises the negative log-likelihood (golden-section on log T)."""
    p, g = np.concatenate(probs), np.concatenate(gold).astype(int)
    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(60):
        if nll(rescaled(p, math.exp(c)), g) < nll(rescaled(p, math.exp(d)), g):
            b, d = d, c
            c = b - ratio * (b - a)
        else:
            a, c = c, d
            d = a + ratio * (b - a)
    return round(math.exp((a + b) / 2), 4)


def calibration_figures(probs: Sequence[np.ndarray], gold: Sequence[np.ndarray],
                        temperature: float) -> dict[str, float]:
    """ECE and NLL of a split's uncalibrated probabilities (T = 1), and after temperature scaling."""
    p, g = np.concatenate(probs), np.concatenate(gold).astype(int)
    after = rescaled(p, temperature)
    return {"ece_before": expected_calibration_error(p, g), "ece_after": expected_calibration_error(after, g),
            "nll_before": nll(p, g), "nll_after": nll(after, g)}


def tune_biases(probs: np.ndarray, gold: np.ndarray, grid: np.ndarray | None = None,
                rounds: int = 2) -> np.ndarray:
    """Per-label additive biases on log-probabilities that maximise macro-F1 (coordinate ascent on a grid)."""
    from claimnet.scores import macro_f1

    grid = np.round(np.arange(-1.5, 1.51, 0.1), 2) if grid is None else grid
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    k = logp.shape[1]
    bias = np.zeros(k)
    score = lambda b: macro_f1(gold, (logp + b).argmax(1), k)  # noqa: E731
    best = score(bias)
    for _ in range(rounds):
        for j in range(k):
            for value in grid:
                trial = bias.copy()
                trial[j] = value
                found = score(trial)
                if found > best + 1e-9:
                    best, bias = found, trial
    return bias


def biases_if_they_pay(probs: Sequence[np.ndarray], gold: Sequence[np.ndarray], labels: Sequence[str],
                       min_gain: float = 0.002) -> dict:
    """Decision biases tuned on dev, kept only if they pay on dev articles they were not tuned on.

    Two-fold cross-validation over dev articles: biases tuned on one half are
    scored on the other. Only when the mean held-out macro-F1 gain reaches
    ``min_gain`` are biases tuned on all of dev kept; otherwise none (a few dozen
    dev hedges make it easy to tune biases that help dev and nothing else).
    """
    from claimnet.scores import macro_f1

    k = len(labels)
    halves = [list(range(0, len(probs), 2)), list(range(1, len(probs), 2))]
    gains = []
    for tune, held in (halves, halves[::-1]):
        bias = tune_biases(np.concatenate([probs[i] for i in tune]), np.concatenate([gold[i] for i in tune]))
        p, g = np.concatenate([probs[i] for i in held]), np.concatenate([gold[i] for i in held])
        logp = np.log(np.clip(p, 1e-12, 1.0))
        gains.append(macro_f1(g, (logp + bias).argmax(1), k) - macro_f1(g, p.argmax(1), k))
    gain = float(np.mean(gains))
    record = {"held_out_gain": gain, "min_gain": min_gain, "applied": gain >= min_gain}
    if record["applied"]:
        bias = tune_biases(np.concatenate(probs), np.concatenate(gold))
        record["biases"] = {label: float(b) for label, b in zip(labels, bias)}
    return record


def fit_calibration(probs: Sequence[np.ndarray], gold: Sequence[np.ndarray], labels: Sequence[str],
                    biases: bool) -> dict:
    """The temperature that minimises dev NLL for an export's dev probabilities (per article, as the runtime
    computes them uncalibrated), and decision biases on top when they pay on held-out dev articles."""
    import logging

    log = logging.getLogger(__name__)
    temperature = fit_temperature(probs, gold)
    log.info("Temperature scaling: T = %.3f (fitted on dev NLL)", temperature)
    out: dict = {"method": "temperature scaling", "temperature": temperature, "fitted_on": "dev"}
    if biases:
        record = biases_if_they_pay([rescaled(p, temperature) for p in probs], gold, list(labels))
        log.info("Decision biases: held-out dev macro-F1 gain %+.4f, %s", record["held_out_gain"],
                 f"kept {record['biases']}" if record["applied"] else "not kept")
        out["decision_biases"] = record
    return out
