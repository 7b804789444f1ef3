"""Metrics agree with scikit-learn; the article bootstrap is reproducible and handles absent labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

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


def test_one_macro_f1_for_reports_checkpoints_and_the_int8_check(tmp_path):
    """With a label absent from gold but predicted, every path gives the evaluation module's figure."""
    import claimnet.evaluation.int8_check
    from claimnet import ClaimTagger
    from claimnet.data import load_articles
    from claimnet.evaluation.int8_check import compare_int8
    from claimnet.evaluation.scoring import gold_ids, predict_articles
    from claimnet.exporters.quantize import quantize_int8
    from claimnet.scores import macro_f1
    from claimnet.training.trainer import selection_metrics
    from helpers import DATA_DIR, rewrite_manifest

    gold = np.array([0, 0, 2, 2, 3, 3, 0, 2])  # no hedge (1) in gold ...
    pred = np.array([0, 1, 2, 1, 3, 3, 0, 2])  # ... but predicted twice
    expected = macro_f1(gold, pred, 4)
    assert expected == pytest.approx(np.mean([f1_score(gold == j, pred == j) for j in (0, 2, 3)]))
    assert expected != pytest.approx(f1_score(gold, pred, average="macro", zero_division=0))  # sklearn counts hedge
    assert compute_metrics([gold], [np.eye(4)[pred]], LABELS, resamples=0)["macro_f1"] == expected  # reports
    assert selection_metrics((np.eye(4)[pred] * 5.0, gold))["macro_f1"] == expected  # checkpoint selection
    assert claimnet.evaluation.int8_check.macro_f1 is macro_f1  # the int8 check

    export = tmp_path / "export"
    rewrite_manifest(tmp_path)
    quantize_int8(export)
    rewrite_manifest(tmp_path)  # list the int8 file in the manifest
    dev = [a for a in load_articles(DATA_DIR / "dev.jsonl", LABELS) if "hedge" not in a.labels()][:8]
    figures = compare_int8(export, dev, max_drop=1.0, resamples=20)
    fp32 = ClaimTagger.load(export, backend="onnx", precision="fp32")
    reported = compute_metrics(gold_ids(dev, fp32.label_set), predict_articles(fp32, dev), LABELS, resamples=0)
    assert figures["macro_f1_fp32"] == pytest.approx(reported["macro_f1"], abs=1e-12)


def test_temperature_scaling_recovers_the_temperature_that_made_the_labels():
    from claimnet.evaluation.calibration import calibration_figures, fit_temperature, rescaled

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 4))
    true_temperature = 2.5  # the labels follow softmax(logits / 2.5): softmax(logits) is overconfident
    calibrated = rescaled(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), true_temperature)
    gold = np.array([rng.choice(4, p=p) for p in calibrated])
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    fitted = fit_temperature([probs], [gold])
    assert abs(fitted - true_temperature) < 0.25
    figures = calibration_figures([probs], [gold], fitted)
    assert figures["ece_after"] < figures["ece_before"] / 2 and figures["nll_after"] < figures["nll_before"]
    assert (rescaled(probs, fitted).argmax(1) == probs.argmax(1)).all(), "labels never change"


def test_decision_biases_are_kept_only_when_they_pay_on_held_out_articles():
    from claimnet.evaluation.calibration import biases_if_they_pay

    rng = np.random.default_rng(1)
    labels = ["a", "b", "c"]
    gold = [rng.integers(0, 3, size=20) for _ in range(40)]
    # a model that under-predicts label 2 by a constant margin: a bias on it pays on any half of the articles
    skewed = []
    for g in gold:
        logits = rng.normal(0, 1, size=(len(g), 3))
        logits[np.arange(len(g)), g] += 2.0
        logits[:, 2] -= 2.5
        skewed.append(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))
    kept = biases_if_they_pay(skewed, gold, labels)
    assert kept["applied"] and kept["held_out_gain"] > 0.05 and kept["biases"]["c"] > kept["biases"]["a"]
    # pure noise: whatever biases fit one half, they do not help the other
    noise = [np.full((len(g), 3), 1 / 3) + rng.normal(0, 0.01, size=(len(g), 3)).clip(-0.3, 0.3) for g in gold]
    dropped = biases_if_they_pay(noise, gold, labels, min_gain=0.02)
    assert not dropped["applied"] and "biases" not in dropped
