"""Finishing a run: its export, written whole or not at all, scored, described once.

The model files go into a temporary folder (:func:`claimnet.exporters.writer.write_model`);
evaluation fits the calibration on the unfolded fp32 model, which is then folded
into the head's weights (:mod:`claimnet.exporters.fold`) before int8 is quantized
from the folded graph and checked; then evaluation scores the export on
dev and test through the runtime a user gets, all against the manifest the
export will have (held in memory); the model card and then the manifest are
written once, with those figures, and only then does the folder move into
``RUN/export``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from claimnet.data import Article
from claimnet.evaluation.calibration import fit_calibration
from claimnet.evaluation.int8_check import compare_int8
from claimnet.evaluation.scoring import data_record, evaluate_split, gold_ids, predict_articles
from claimnet.exporters.manifest import manifest_fields, sealed_manifest, tokenizer_fields, write_manifest
from claimnet.exporters.model_card import CardData, write_card
from claimnet.exporters.writer import write_model
from claimnet.labels import LabelSet
from claimnet.runtime.backends import ONNX_FILES
from claimnet.runtime.environment import cpu_name
from claimnet.runtime.segmentation import DEFAULT_SETTINGS
from claimnet.runtime.tagger import ClaimTagger

log = logging.getLogger(__name__)

METRIC_KEYS = ("macro_f1", "accuracy", "per_label", "intervals")


def portable(training: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """The training record with paths relative to the run folder: an export names no folder of its build machine."""
    out = dict(training)
    for key in ("best_checkpoint", "resumed_from"):
        if out.get(key):
            path = Path(out[key])
            try:
                out[key] = path.resolve().relative_to(run_dir.resolve()).as_posix()
            except ValueError:
                out[key] = path.name
    return out


def card_data(cfg: Mapping[str, Any], labels: LabelSet, train_counts: Mapping[str, int],
              training: Mapping[str, Any], metrics: Mapping[str, dict], export_dir: Path,
              int8: dict[str, Any] | None, calibration: dict[str, Any] | None = None) -> CardData:
    """The model card's facts, from the run's config, data, training and evaluation."""
    trainer = cfg["trainer"]
    return CardData(
        model_name=f"claimnet-{Path(cfg['model']['name']).name}",
        base_model=cfg["model"]["name"],
        base_license=cfg["model"]["license"],
        labels=list(labels),
        label_descriptions=dict(cfg["data"].get("label_descriptions") or {}),
        dataset=cfg["data"]["name"],
        dataset_version=str(cfg["data"]["version"]),
        data_license=cfg["data"]["license"],
        train_counts=dict(train_counts),
        context_window=int(cfg["model"]["context_window"]),
        max_length=int(cfg["model"]["max_length"]),
        recipe={"learning_rate": trainer["learning_rate"], "batch_size": trainer["per_device_train_batch_size"],
                "epochs": trainer["num_train_epochs"], "class_weights": trainer["class_weights"],
                "precision": training.get("precision"), "seed": cfg["seed"]},
        train_seconds=training.get("seconds"),
        hardware=cpu_name(),
        metrics=dict(metrics),
        file_sizes={p.relative_to(export_dir).as_posix(): p.stat().st_size
                    for p in export_dir.rglob("*") if p.is_file()},
        int8=int8,
        data_source=cfg["data"].get("source"),
        data_about=cfg["data"].get("about"),
        calibration=calibration,
        untrained_test_model=bool(cfg["model"].get("random_init")),
    )


def recover_export(run_dir: Path) -> None:
    """Before any work: a crash while swapping exports left ``.export-old``; keep the export, drop the leftover."""
    export_dir, old = run_dir / "export", run_dir / ".export-old"
    if old.exists():
        if export_dir.exists():
            shutil.rmtree(old)
        else:  # the crash came between moving the old export aside and moving the new one in
            os.replace(old, export_dir)
        log.warning("Cleaned up %s left by an interrupted export", old)


def fold_into_export(folder: Path, tokenizer, calibration: Mapping[str, Any], labels: LabelSet, *, onnx: bool,
                     opset: int) -> None:
    """Rewrite the export's weights with the fitted temperature and kept biases folded into the head."""
    from transformers import AutoModelForSequenceClassification

    from claimnet.exporters.fold import fold_calibration

    chosen = (calibration.get("decision_biases") or {}).get("biases") or {}
    model = AutoModelForSequenceClassification.from_pretrained(str(folder))
    fold_calibration(model, float(calibration["temperature"]), [float(chosen.get(n, 0.0)) for n in labels.names])
    calibration["folded"] = "into the classifier head's weights: every route computes the calibrated logits"
    write_model(model, tokenizer, folder, onnx=onnx, int8=False, opset=opset)


def finish_export(model, tokenizer, run_dir: Path, cfg: Mapping[str, Any], labels: LabelSet,
                  splits: Mapping[str, list[Article]], train_counts: Mapping[str, int], training: dict[str, Any],
                  baselines=None, previous: Mapping[str, dict] | None = None) -> dict[str, Any]:
    """Export a trained model into ``run_dir/export``; return the dev and test metrics of that export.

    ``splits`` holds dev and test (scored through the runtime); ``train_counts`` the training labels' counts.
    """
    recover_export(run_dir)
    tmp = run_dir / ".export-tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    export_cfg, ev = cfg["export"], cfg["evaluation"]
    onnx, int8 = export_cfg["onnx"], export_cfg["onnx"] and export_cfg["int8"]
    # what `pipeline(..., truncation=True)` then cuts at: the length the model was trained and is tagged with
    tokenizer.model_max_length = int(cfg["model"]["max_length"])
    write_model(model, tokenizer, tmp, onnx=onnx, int8=False, opset=export_cfg["opset"])
    fields = manifest_fields(
        labels=labels, base_model=cfg["model"]["name"], context_window=cfg["model"]["context_window"],
        max_length=cfg["model"]["max_length"], tokenizer=tokenizer_fields(tmp, tokenizer.pad_token_id or 0),
        segmentation=DEFAULT_SETTINGS,
        run={"dir": run_dir.name, "seed": cfg["seed"], "data": cfg["data"]["name"],
             "data_version": str(cfg["data"]["version"]), "training": portable(training, run_dir)},
    )
    if cfg["model"].get("random_init"):  # say so where a program reads it too
        fields["model"]["untrained_test_model"] = True

    def load(**kwargs) -> ClaimTagger:  # the export as a user will load it, before its manifest is on disk
        options = {"backend": ev["backend"], "precision": ev["precision"], "batch_size": ev["batch_size"]} | kwargs
        return ClaimTagger.load(tmp, manifest=sealed_manifest(tmp, fields), **options)

    if export_cfg["temperature_scaling"]:  # fitted on the unfolded fp32 model, then folded into its head
        unfolded = load(precision="fp32" if onnx else ev["precision"])
        fields["calibration"] = fit_calibration(predict_articles(unfolded, splits["dev"]),
                                                gold_ids(splits["dev"], labels), labels, export_cfg["decision_biases"])
        fold_into_export(tmp, tokenizer, fields["calibration"], labels, onnx=onnx, opset=export_cfg["opset"])
    if int8:  # quantized from the folded graph
        from claimnet.exporters.quantize import quantize_int8

        kept_fp32 = quantize_int8(tmp, ffn_down_fp32_layers=export_cfg["int8_ffn_down_fp32_layers"])
        fields["int8"] = compare_int8(tmp, splits["dev"], export_cfg["int8_max_f1_drop"],
                                      manifest=sealed_manifest(tmp, fields), resamples=ev["bootstrap_resamples"])
        fields["int8"]["ffn_down_fp32_layers"] = len(kept_fp32)
        if not fields["int8"]["included"]:
            (tmp / ONNX_FILES["int8"]).unlink()
    tagger = load()
    metrics = {}
    for split in ("dev", "test"):
        metrics[split] = evaluate_split(
            tagger, splits[split], run_dir / "eval" / split, ev, cfg["seed"],
            title=f"claimnet: {cfg['model']['name']} on {cfg['data']['name']} {split}",
            baselines=baselines, previous=previous.get(split) if previous else None,
            data=data_record(cfg["data"][f"{split}_path"], list(labels)),
        )
        if "calibration" in fields:
            fields["calibration"][split] = metrics[split]["calibration"]
    write_card(card_data(cfg, labels, train_counts, training, metrics, tmp, fields.get("int8"),
                         fields.get("calibration")), tmp)
    fields["metrics"] = {split: {k: m[k] for k in METRIC_KEYS if k in m} | {"backend": tagger.backend_name}
                         for split, m in metrics.items()}
    write_manifest(tmp, fields)
    export_dir = run_dir / "export"
    old = run_dir / ".export-old"
    if export_dir.exists():
        os.replace(export_dir, old)
    os.replace(tmp, export_dir)
    if old.exists():
        shutil.rmtree(old)
    return {"export_dir": export_dir, "dev": metrics["dev"], "test": metrics["test"]}
