"""Metrics agree with scikit-learn; the article bootstrap is reproducible and handles absent labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score, precision_recall_fscore_support

from claimnet.evaluation.metrics import compute_metrics, expected_calibration_error, headline

LABELS = ["attribution", "hedge", "claim", "background"]


def fake(seed=0, n_articles=30):
    rng = np.random.default_rng(seed)
    gold, probs = [], []
    for _ in range(n_articles):
        n = rng.integers(3, 20)
        g = rng.choice(4, size=n, p=[0.4, 0.05, 0.4, 0.15])
        logits = rng.normal(size=(n, 4)) + 2.0 * np.eye(4)[g]
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        gold.append(g)
        probs.append(p)
    return gold, probs


def test_metrics_agree_with_scikit_learn():
    gold, probs = fake()
    m = compute_metrics(gold, probs, LABELS, resamples=0)
    g, p = np.concatenate(gold), np.concatenate(probs).argmax(1)
    assert m["macro_f1"] == pytest.approx(f1_score(g, p, average="macro"))
    assert m["micro_f1"] == pytest.approx(f1_score(g, p, average="micro"))
    assert m["accuracy"] == pytest.approx(accuracy_score(g, p))
    assert m["kappa"] == pytest.approx(cohen_kappa_score(g, p))
    prec, rec, f1, sup = precision_recall_fscore_support(g, p, labels=range(4), zero_division=0)
    for j, label in enumerate(LABELS):
        assert m["per_label"][label]["precision"] == pytest.approx(prec[j])
        assert m["per_label"][label]["recall"] == pytest.approx(rec[j])
        assert m["per_label"][label]["f1"] == pytest.approx(f1[j])
        assert m["per_label"][label]["support"] == sup[j]
    assert m["confusion_matrix"]["matrix"] == confusion_matrix(g, p, labels=range(4)).tolist()
    assert m["sentences"] == len(g) and m["articles"] == 30


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    gold, probs = fake()
    a = compute_metrics(gold, probs, LABELS, resamples=200, seed=7)["intervals"]
    b = compute_metrics(gold, probs, LABELS, resamples=200, seed=7)["intervals"]
    c = compute_metrics(gold, probs, LABELS, resamples=200, seed=8)["intervals"]
    assert a == b and a != c
    m = compute_metrics(gold, probs, LABELS, resamples=200, seed=7)
    assert a["macro_f1"]["low"] <= m["macro_f1"] <= a["macro_f1"]["high"]
    assert a["unit"] == "article" and a["macro_f1"]["resamples"] == 200


def test_resamples_without_a_label_leave_it_out():
    gold = [np.array([0, 2, 2]), np.array([0, 0, 2]), np.array([1, 3, 3])]  # hedge (1) in one article only
    probs = [np.eye(4)[g] for g in gold]
    m = compute_metrics(gold, probs, LABELS, resamples=300, seed=1)
    hedge = m["intervals"]["per_label"]["hedge"]
    assert 0 < hedge["resamples"] < 300  # ~(1 - (2/3)^3) of resamples hold the hedge article
    assert m["intervals"]["macro_f1"]["low"] == pytest.approx(1.0)  # perfect predictions stay perfect


def test_calibration_error_of_a_perfectly_calibrated_model_is_small():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.25, 1.0, size=20000)
    correct = rng.uniform(size=20000) < conf
    probs = np.zeros((20000, 4))
    probs[:, 0] = conf
    probs[:, 1:] = ((1 - conf) / 3)[:, None]
    gold = np.where(correct, 0, 1)
    assert expected_calibration_error(probs, gold) < 0.02


def test_headline_shows_interval_and_labels():
    gold, probs = fake()
    line = headline(compute_metrics(gold, probs, LABELS, resamples=50), "test")
    assert line.startswith("test: macro-F1 0.") and "[" in line and "hedge" in line
