"""Scoring an export on annotated articles and writing its report folder.

The tagger is given the gold sentence spans (segmentation is not scored here),
so every figure is about the labels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import Article
from claimnet.evaluation.gates import gate_results
from claimnet.evaluation.metrics import compute_metrics
from claimnet.evaluation.report import comparison, write_report
from claimnet.labels import LabelSet
from claimnet.runtime.files import write_json


def gold_ids(articles: Sequence[Article], labels: LabelSet) -> list[np.ndarray]:
    """Per article, the gold label ids of its sentences."""
    return [np.array(labels.encode(a.labels()), dtype=int) for a in articles]


def predict_articles(tagger, articles: Sequence[Article]) -> list[np.ndarray]:
    """Per article, the tagger's label probabilities for its gold sentence spans."""
    return tagger.predict_spans([a.text for a in articles], [a.spans() for a in articles])


def write_predictions(path: Path, articles: Sequence[Article], probs: Sequence[np.ndarray], labels: LabelSet) -> None:
    from claimnet.runtime.files import open_output

    with open_output(path) as fh:
        for article, article_probs in zip(articles, probs):
            for sent, p in zip(article.sentences, article_probs):
                fh.write(json.dumps({
                    "article_id": article.id, "start": sent.start, "end": sent.end,
                    "gold": sent.label, "predicted": labels[int(p.argmax())],
                    "probabilities": {name: round(float(x), 6) for name, x in zip(labels, p)},
                }, ensure_ascii=False) + "\n")


def evaluate_tagger(
    tagger, articles: Sequence[Article], output_dir: str | Path, resamples: int = 1000, seed: int = 0
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Score a loaded ``ClaimTagger`` on gold-segmented articles.

    Returns the metrics and the per-article probabilities, and writes
    ``predictions.jsonl`` (per sentence: article id, offsets, gold, predicted and
    all label probabilities) into ``output_dir``.
    """
    labels = tagger.label_set
    probs = predict_articles(tagger, articles)
    metrics = compute_metrics(gold_ids(articles, labels), probs, labels.names, resamples=resamples, seed=seed)
    metrics["model"] = {"path": str(tagger.export_dir), "backend": tagger.backend_name}
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_predictions(out / "predictions.jsonl", articles, probs, labels)
    return metrics, probs


def data_record(path: str | Path, labels: Sequence[str]) -> dict[str, Any]:
    """What ``metrics.json`` says it was computed on: the file, its SHA-256 and the label set."""
    from claimnet.runtime.files import sha256_file

    return {"path": str(Path(path).resolve()), "sha256": sha256_file(path), "labels": list(labels)}


def evaluate_split(tagger, articles: list[Article], output_dir: Path, ev: Mapping[str, Any], seed: int, title: str,
                   baselines=None, previous: dict | None = None,
                   gates: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Score an export on articles and write the report folder (metrics, predictions, pictures, Markdown, HTML).

    ``data`` (:func:`data_record`) goes into ``metrics.json``, so a comparison knows what each figure rests on.
    ``baselines`` is a fitted :class:`claimnet.evaluation.baselines.Baselines`;
    ``gates``, when given, are checked and their outcome recorded in ``metrics.json``.
    """
    labels = tagger.label_set
    metrics, probs = evaluate_tagger(tagger, articles, output_dir, resamples=ev["bootstrap_resamples"], seed=seed)
    if tagger.manifest.get("calibration"):  # the scores are calibrated: what they were before, from the same run
        from claimnet.evaluation.calibration import nll, uncalibrated
        from claimnet.evaluation.metrics import expected_calibration_error

        gold = np.concatenate(gold_ids(articles, labels)).astype(int)
        served = np.concatenate(probs)
        record = tagger.manifest["calibration"]  # what was applied: folded into the weights, or by the runtime
        temperature = float(record.get("temperature", 1.0))
        chosen = (record.get("decision_biases") or {}).get("biases") or {}
        biases = np.array([float(chosen.get(name, 0.0)) for name in labels.names])
        raw = uncalibrated(served, temperature, biases)
        metrics["calibration"] = {"temperature": temperature,
                                  "ece_before": expected_calibration_error(raw, gold), "ece_after": metrics["ece"],
                                  "nll_before": nll(raw, gold), "nll_after": nll(served, gold)}
    baseline_metrics = {}
    if baselines is not None:
        gold = gold_ids(articles, labels)
        for name, base_probs in baselines.probabilities(articles).items():
            baseline_metrics[name] = compute_metrics(gold, base_probs, labels.names, resamples=0)
        metrics["baselines"] = {n: {k: m[k] for k in ("macro_f1", "accuracy", "per_label")}
                                for n, m in baseline_metrics.items()}
    if data is not None:
        metrics["data"] = dict(data)
    if previous:
        metrics["compared_to"] = {"path": previous.get("_path"), "changes": comparison(metrics, previous)}
    if gates is not None:
        results = gate_results(metrics, gates, previous)
        failures = [f"gate {r['gate']} failed: {r['message']}" for r in results if not r["passed"]]
        metrics["gates"] = {"passed": not failures, "failures": failures,
                            "results": [{k: r[k] for k in ("gate", "measured", "required", "passed")} for r in results]}
    write_json(output_dir / "metrics.json", metrics)
    write_report(output_dir, title, metrics, articles, probs, labels, baseline_metrics, previous,
                 mistakes_per_label=ev["mistakes_per_label"])
    return metrics
