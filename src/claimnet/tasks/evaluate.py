"""``scripts/evaluate.py``: score an export on an annotated JSONL file, with reports and CI gates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from claimnet.config.checks import check_config
from claimnet.config.schema import EvaluateJob
from claimnet.data import load_articles
from claimnet.errors import ConfigError, GateFailure, ModelLoadError
from claimnet.evaluation.gates import check_gate_values, validate_gates
from claimnet.evaluation.history import read_previous
from claimnet.evaluation.metrics import headline
from claimnet.evaluation.scoring import data_record, evaluate_split
from claimnet.runtime.manifest import MANIFEST_NAME
from claimnet.runtime.packages import resolve_model
from claimnet.runtime.tagger import ClaimTagger
from claimnet.tasks.folders import job_dir


def check_measurable(gates, articles, data_path) -> None:
    """A per-label gate on a label the data never has cannot be evaluated: a usage error (exit 2), not a failure."""
    present = {s.label for a in articles for s in a.sentences}
    for label, minimum in (gates.get("per_label") or {}).items():
        if minimum is not None and label not in present:
            raise ConfigError(f"gates.per_label.{label}: {data_path} has no {label} sentence, so its F1 cannot be "
                              "measured; drop the gate or evaluate on data that has them")


def check_same_data(previous, data, allowed: bool) -> None:
    """``compare_to`` figures from other data are refused (exit 2) unless ``compare_across_data=true``; an old
    metrics.json that does not say what it was computed on is compared with a warning."""
    import logging

    before = previous.get("data") or {}
    if not before.get("sha256"):
        logging.getLogger("claimnet").warning("compare_to=%s does not record the data it was computed on (an older "
                                              "claimnet); comparing anyway", previous.get("_path"))
        return
    if (before["sha256"] != data["sha256"] or list(before.get("labels", [])) != data["labels"]) and not allowed:
        raise ConfigError(f"compare_to={previous.get('_path')} was computed on {before.get('path')} (SHA-256 "
                          f"{before['sha256'][:12]}..., labels {before.get('labels')}), this evaluation on "
                          f"{data['path']} (SHA-256 {data['sha256'][:12]}..., labels {data['labels']}): the figures "
                          "do not compare. Pass compare_across_data=true to compare them anyway")


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Score an export; returns the metrics, and raises :class:`GateFailure` (exit 1) when a gate fails."""
    check_config(cfg, EvaluateJob)
    check_gate_values(cfg.gates)
    model_path = resolve_model(cfg.model_path)
    if not (model_path / MANIFEST_NAME).is_file():
        what = "does not exist" if not model_path.exists() else f"holds no {MANIFEST_NAME}"
        raise ModelLoadError(f"model_path={cfg.model_path}: {what}; pass model_path=DIR, an export folder "
                             "(e.g. outputs/latest/export) or a run folder")
    ev = cfg.evaluation
    tagger = ClaimTagger.load(model_path, backend=ev.backend, precision=ev.precision, batch_size=ev.batch_size)
    articles = load_articles(cfg.data_path, tagger.labels)
    data = data_record(cfg.data_path, tagger.labels)
    previous = read_previous(cfg.compare_to)
    validate_gates(cfg.gates, tagger.labels, previous is not None)
    check_measurable(cfg.gates, articles, cfg.data_path)
    if previous is not None:
        check_same_data(previous, data, cfg.compare_across_data)
    baselines = None
    if ev.baselines:
        from claimnet.evaluation.baselines import Baselines

        baselines = Baselines(load_articles(cfg.baseline_train_path, tagger.labels), tagger.label_set, cfg.seed)
    out = job_dir(cfg, "output_dir")
    metrics = evaluate_split(tagger, articles, out, ev, cfg.seed,
                             title=f"claimnet: {model_path} on {Path(cfg.data_path).name}",
                             baselines=baselines, previous=previous, gates=cfg.gates, data=data)
    print(headline(metrics, Path(cfg.data_path).name))
    print(f"Report: {out / 'report.html'}")
    if metrics["gates"]["failures"]:
        raise GateFailure("\n".join(metrics["gates"]["failures"]))
    checked = metrics["gates"].get("results") or []
    if checked:
        print(f"gates: {len(checked)} of {len(checked)} passed")
    return metrics
