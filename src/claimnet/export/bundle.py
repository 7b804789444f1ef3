"""One export, written whole or not at all.

Hugging Face files, ONNX fp32 and int8 (behind its quality check) go into a
temporary folder; that folder is evaluated on dev and test through the runtime
a user gets, the model card and manifest are written with those figures, and
only then is the folder moved into ``RUN/export``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from claimnet.data import Article
from claimnet.evaluation.scoring import evaluate_split
from claimnet.export.huggingface import save_huggingface
from claimnet.export.manifest import manifest_fields, tokenizer_fields, write_manifest
from claimnet.export.model_card import CardData, write_card
from claimnet.labels import LabelSet
from claimnet.runtime.backends import ARTICLE_FILES, ONNX_FILES
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
        kind=cfg["model"].get("kind", "sentence"),
        window=(cfg["model"].get("article") or {}).get("window"),
    )


def fit_calibration(tagger: ClaimTagger, dev: list[Article], biases: bool) -> dict[str, Any]:
    """The temperature that minimises dev NLL for this export (as the runtime will load it), and decision
    biases on top when they pay on held-out dev articles (``export.decision_biases``)."""
    from claimnet.evaluation.calibration import biases_if_they_pay, fit_temperature, rescaled
    from claimnet.evaluation.scoring import gold_ids, predict_articles

    probs, gold = predict_articles(tagger, dev), gold_ids(dev, tagger.label_set)
    temperature = fit_temperature(probs, gold)
    log.info("Temperature scaling: T = %.3f (fitted on dev NLL)", temperature)
    out: dict[str, Any] = {"method": "temperature scaling", "temperature": temperature, "fitted_on": "dev"}
    if biases:
        record = biases_if_they_pay([rescaled(p, temperature) for p in probs], gold, tagger.labels)
        log.info("Decision biases: held-out dev macro-F1 gain %+.4f, %s", record["held_out_gain"],
                 f"kept {record['biases']}" if record["applied"] else "not kept")
        out["decision_biases"] = record
    return out


def recover_export(run_dir: Path) -> None:
    """Before any work: a crash while swapping exports left ``.export-old``; keep the export, drop the leftover."""
    export_dir, old = run_dir / "export", run_dir / ".export-old"
    if old.exists():
        if export_dir.exists():
            shutil.rmtree(old)
        else:  # the crash came between moving the old export aside and moving the new one in
            os.replace(old, export_dir)
        log.warning("Cleaned up %s left by an interrupted export", old)


def build_export(model, tokenizer, run_dir: Path, cfg: Mapping[str, Any], labels: LabelSet,
                 splits: Mapping[str, list[Article]], train_counts: Mapping[str, int], training: dict[str, Any],
                 baselines=None, previous: Mapping[str, dict] | None = None) -> dict[str, Any]:
    """Export a trained model into ``run_dir/export``; return the dev and test metrics of that export.

    ``splits`` holds dev and test (scored through the runtime); ``train_counts`` the training labels' counts.
    """
    from claimnet.export.int8 import check_int8
    from claimnet.export.onnx import export_onnx
    from claimnet.export.quantize import quantize_int8

    recover_export(run_dir)
    tmp = run_dir / ".export-tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    article = dict(cfg["model"]["article"]) if cfg["model"].get("kind", "sentence") == "article" else None
    if article:
        from claimnet.export.article import export_article_onnx, save_article_model

        save_article_model(model, tokenizer, tmp)
    else:
        save_huggingface(model, tokenizer, tmp)
    fields = manifest_fields(
        labels=labels, base_model=cfg["model"]["name"], context_window=cfg["model"]["context_window"],
        max_length=cfg["model"]["max_length"], tokenizer=tokenizer_fields(tmp, tokenizer.pad_token_id or 0),
        segmentation=DEFAULT_SETTINGS,
        run={"dir": run_dir.name, "seed": cfg["seed"], "data": cfg["data"]["name"],
             "data_version": str(cfg["data"]["version"]), "training": portable(training, run_dir)},
        kind="article" if article else "sentence", article=article,
    )
    export_cfg = cfg["export"]
    if export_cfg["onnx"]:
        if article:  # its parts, not its forward: accelerate wraps the Trainer's model's forward in autocast
            export_article_onnx(model, tmp, opset=export_cfg["opset"])
        else:  # from the saved weights, not the Trainer's model, for the same reason
            from transformers import AutoModelForSequenceClassification

            export_onnx(AutoModelForSequenceClassification.from_pretrained(str(tmp)), tmp,
                        opset=export_cfg["opset"])
        if export_cfg["int8"]:
            quantize_int8(tmp, ARTICLE_FILES if article else ONNX_FILES)
            write_manifest(tmp, fields)
            fields["int8"] = check_int8(tmp, splits["dev"], export_cfg["int8_min_agreement"],
                                        export_cfg["int8_max_f1_drop"])
    write_manifest(tmp, fields)
    ev = cfg["evaluation"]
    load = lambda: ClaimTagger.load(tmp, backend=ev["backend"], precision=ev["precision"],  # noqa: E731
                                    batch_size=ev["batch_size"])
    if export_cfg["temperature_scaling"]:
        fields["calibration"] = fit_calibration(load(), splits["dev"], export_cfg["decision_biases"])
        write_manifest(tmp, fields)
    tagger = load()
    metrics = {}
    for split in ("dev", "test"):
        metrics[split] = evaluate_split(
            tagger, splits[split], run_dir / "eval" / split, ev, cfg["seed"],
            title=f"claimnet: {cfg['model']['name']} on {cfg['data']['name']} {split}",
            baselines=baselines, previous=previous.get(split) if previous else None,
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
