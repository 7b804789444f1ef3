"""Evaluation reports and CI gates: the report folder, baselines, comparison, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from claimnet.data import load_articles
from claimnet.errors import ConfigError
from claimnet.evaluation.baselines import Baselines
from claimnet.evaluation.gates import check_gates
from claimnet.evaluation.report import comparison
from claimnet.labels import LabelSet
from helpers import DATA_DIR, LABELS, run_script

METRICS = {"macro_f1": 0.80, "per_label": {l: {"f1": f} for l, f in zip(LABELS, (0.9, 0.6, 0.9, 0.8))}}


def test_gates_pass_and_fail_with_measured_and_required_values():
    assert check_gates(METRICS, {"macro_f1": 0.8, "per_label": {"hedge": 0.6}}) == []
    fails = check_gates(METRICS, {"macro_f1": 0.85, "per_label": {"hedge": 0.7, "claim": None}})
    assert fails == ["gate gates.macro_f1 failed: macro-F1 0.8000 < required 0.85",
                     "gate gates.per_label.hedge failed: hedge F1 0.6000 < required 0.7"]
    previous = {"macro_f1": 0.83}
    assert check_gates(METRICS, {"max_drop": 0.05}, previous) == []
    assert check_gates(METRICS, {"max_drop": 0.02}, previous) == [
        "gate gates.max_drop failed: macro-F1 fell 0.0300 (0.8300 -> 0.8000) > allowed 0.02"]


def test_gate_config_errors():
    with pytest.raises(ConfigError, match="gates.max_drop needs compare_to"):
        check_gates(METRICS, {"max_drop": 0.01})
    with pytest.raises(ConfigError, match=r"unknown label\(s\) \['opinion'\]"):
        check_gates(METRICS, {"per_label": {"opinion": 0.5}})


def test_comparison_marks_changes_inside_or_outside_the_interval():
    current = {"macro_f1": 0.80, "per_label": {"hedge": {"f1": 0.6}},
               "intervals": {"macro_f1": {"low": 0.75, "high": 0.85}, "per_label": {"hedge": {"low": 0.5, "high": 0.7}}}}
    rows = comparison(current, {"macro_f1": 0.70, "per_label": {"hedge": {"f1": 0.65}}})
    assert rows[0]["metric"] == "macro-F1" and rows[0]["change"] == pytest.approx(0.10) and rows[0]["outside_interval"]
    assert rows[1]["metric"] == "hedge F1" and rows[1]["outside_interval"] is False


def test_tfidf_baseline_beats_majority_and_keeps_label_order():
    train = load_articles(DATA_DIR / "train.jsonl", LABELS)[:120]
    dev = load_articles(DATA_DIR / "dev.jsonl", LABELS)[:10]
    probs = Baselines(train, LabelSet.from_names(LABELS)).probabilities(dev)
    assert [len(p) for p in probs["tfidf_logreg"]] == [len(a.sentences) for a in dev]
    gold = np.concatenate([[LABELS.index(s.label) for s in a.sentences] for a in dev])
    acc = {n: (np.concatenate(p).argmax(1) == gold).mean() for n, p in probs.items()}
    assert acc["tfidf_logreg"] > acc["majority"]
    assert np.allclose(np.concatenate(probs["tfidf_logreg"]).sum(1), 1.0, atol=1e-5)


def test_training_run_writes_the_report_folder(trained_run):
    out = trained_run / "eval" / "test"
    for name in ("metrics.json", "predictions.jsonl", "report.md", "report.html", "confusion_matrix.png", "calibration.png"):
        assert (out / name).is_file(), name
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    for section in ("### Per label", "### Confusion matrix", "### Against baselines", "tfidf_logreg", "majority",
                    "### Most confident mistakes"):
        assert section in md, section
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and ">Articles</h2>" in html
    assert 'src="http' not in html and "<script" not in html
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"majority", "tfidf_logreg"} == set(metrics["baselines"])
    for key in ("micro_f1", "kappa", "ece", "intervals"):
        assert key in metrics


def test_evaluate_gates_exit_codes_and_step_summary(export_dir, tmp_path):
    base = [f"model_path={export_dir}", f"data_path={DATA_DIR / 'dev.jsonl'}", "evaluation.bootstrap_resamples=20",
            "evaluation.baselines=false"]
    first = tmp_path / "first"
    summary = tmp_path / "summary.md"
    ok = run_script("evaluate.py", *base, f"output_dir={first}", "gates.macro_f1=0.0",
                    env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "gates: 1 of 1 passed" in ok.stdout  # a passing gate says so, in one line
    text = summary.read_text()
    assert "### Per label" in text
    # the gates come first, passing ones too, in the summary, report.md and report.html
    assert text.index("### Gates: all 1 gate passed") < text.index("macro-F1")
    assert "| gates.macro_f1 |" in text and "| 0.0 | passed |" in text
    assert "Gates: all 1 gate passed" in (first / "report.html").read_text()

    failed = run_script("evaluate.py", *base, f"output_dir={tmp_path / 'second'}", "gates.macro_f1=0.99",
                        "gates.per_label.hedge=0.99", f"compare_to={first / 'metrics.json'}", "gates.max_drop=0.0")
    assert failed.returncode == 1, failed.stderr[-2000:]
    assert "gate gates.macro_f1 failed: macro-F1 " in failed.stderr and "< required 0.99" in failed.stderr
    assert "gate gates.per_label.hedge failed" in failed.stderr
    assert "gate gates.max_drop" not in failed.stderr  # same model, same data: no drop
    metrics = json.loads((tmp_path / "second" / "metrics.json").read_text())
    assert metrics["gates"]["passed"] is False and len(metrics["gates"]["failures"]) == 2
    assert [r["passed"] for r in metrics["gates"]["results"]] == [False, False, True]
    report = (tmp_path / "second" / "report.md").read_text()
    assert "### Gates: FAILED: 2 of 3 gates" in report and "| gates.max_drop | 0.0000 | 0.0 | passed |" in report
    assert metrics["compared_to"]["changes"][0]["change"] == pytest.approx(0.0)

    usage = run_script("evaluate.py", *base, f"output_dir={tmp_path / 'third'}", "gates.max_drop=0.01")
    assert usage.returncode == 2 and "gates.max_drop needs compare_to" in usage.stderr


def test_intervals_over_too_few_articles_say_so_and_counts_are_singular():
    from claimnet.evaluation.metrics import compute_metrics, headline
    from claimnet.evaluation.report import headline_md

    gold = [np.array([0, 1, 2, 3])]
    probs = [np.eye(4)[[0, 1, 2, 2]]]
    m = compute_metrics(gold, probs, ["a", "b", "c", "d"], resamples=20, seed=0)
    assert "4 sentences in 1 article ·" in headline_md(m)
    assert "intervals not meaningful: 1 article (fewer than 10)" in headline_md(m)
    assert "(interval not meaningful: 1 article)" in headline(m)


def test_data_cannot_put_html_or_markup_into_report_md(tmp_path):
    from claimnet.data import Article, Sentence
    from claimnet.evaluation.metrics import compute_metrics
    from claimnet.evaluation.report import write_report
    from claimnet.labels import LabelSet

    text = "Police said <b>so</b>. It `may` | rain [x](javascript:alert(1))."
    article = Article('<img src=x onerror=alert(1)>', text, (Sentence(0, 21, "attribution"), Sentence(22, len(text), "hedge")))
    probs = [np.array([[0.1, 0.8, 0.05, 0.05], [0.9, 0.05, 0.03, 0.02]])]
    labels = LabelSet.from_names(["attribution", "hedge", "claim", "background"])
    metrics = compute_metrics([np.array([0, 1])], probs, labels.names, resamples=0)
    write_report(tmp_path, "title <script>", metrics, [article], probs, labels)
    md = (tmp_path / "report.md").read_text()
    assert "<img" not in md and "<b>so" not in md and "<script>" not in md and "](javascript" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md and "\\`may\\`" in md
    html = (tmp_path / "report.html").read_text()
    assert "<img src=x" not in html and "<script>" not in html
