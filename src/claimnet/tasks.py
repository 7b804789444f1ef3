"""The tasks behind the scripts: train (fit, export, evaluate), export, evaluate.

Each takes a composed ``DictConfig`` and returns a metrics dict; the scripts
are thin ``@hydra.main`` wrappers and tests call these functions directly.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from claimnet.config import check_choice, check_number, validate_train_config
from claimnet.data import Article, label_counts, load_articles, summarize
from claimnet.errors import ConfigError, GateFailure, ModelLoadError
from claimnet.evaluation import evaluate_tagger, headline
from claimnet.gates import check_gates, validate_gates
from claimnet.labels import LabelSet
from claimnet.runs import point_latest, versions, write_json

log = logging.getLogger("claimnet")


def _run_dir(cfg: DictConfig) -> Path:
    if cfg.get("run_dir"):
        return Path(cfg.run_dir)
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def load_splits(data_cfg: DictConfig, labels: LabelSet, names=("train", "dev", "test")) -> dict[str, list[Article]]:
    splits = {}
    for name in names:
        articles = load_articles(data_cfg[f"{name}_path"], labels.names, max_errors=data_cfg.max_errors)
        if data_cfg.limit_articles:
            articles = articles[: data_cfg.limit_articles]
        splits[name] = articles
    return splits


def evaluate_split(tagger, articles: list[Article], output_dir: Path, ev: DictConfig, seed: int, title: str,
                   baselines=None, previous: dict | None = None, gates: DictConfig | None = None) -> dict[str, Any]:
    """Score an export on articles and write the report folder (metrics, predictions, pictures, Markdown, HTML).

    ``baselines`` is a fitted :class:`claimnet.baselines.Baselines`; ``gates``,
    when given, are checked and their outcome recorded in ``metrics.json``.
    """
    from claimnet.evaluation import compute_metrics
    from claimnet.reporting import comparison, write_report

    metrics, probs = evaluate_tagger(tagger, articles, output_dir, resamples=ev.bootstrap_resamples, seed=seed)
    baseline_metrics = {}
    if baselines is not None:
        label2id = {l: i for i, l in enumerate(tagger.labels)}
        gold = [np.array([label2id[s.label] for s in a.sentences]) for a in articles]
        for name, base_probs in baselines.probabilities(articles).items():
            baseline_metrics[name] = compute_metrics(gold, base_probs, tagger.labels, resamples=0)
        metrics["baselines"] = {n: {k: m[k] for k in ("macro_f1", "accuracy", "per_label")}
                                for n, m in baseline_metrics.items()}
    if previous:
        metrics["compared_to"] = {"path": previous.get("_path"), "changes": comparison(metrics, previous)}
    if gates is not None:
        failures = check_gates(metrics, gates, previous)
        metrics["gates"] = {"passed": not failures, "failures": failures}
    write_json(output_dir / "metrics.json", metrics)
    write_report(output_dir, title, metrics, articles, probs, tagger.labels, baseline_metrics, previous,
                 mistakes_per_label=ev.mistakes_per_label)
    return metrics


def read_previous(path: str | Path | None) -> dict | None:
    """A previous metrics.json to compare against (``compare_to=``)."""
    import json

    if not path:
        return None
    p = Path(path)
    if p.is_dir():
        p = p / "metrics.json"
    if not p.is_file():
        raise ModelLoadError(f"compare_to: {p} does not exist; pass the path of a previous metrics.json")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"compare_to: {p} is not valid JSON ({exc.msg})") from None
    if "macro_f1" not in data or "per_label" not in data:
        raise ModelLoadError(f"compare_to: {p} is not a claimnet metrics.json (no macro_f1/per_label)")
    data["_path"] = str(p)
    return data


def _use_cuda(setting: Any) -> bool:
    import torch

    if setting == "auto":
        return torch.cuda.is_available()
    if setting and not torch.cuda.is_available():
        raise ConfigError("trainer.use_cuda is true but torch sees no CUDA device. Use auto or false.")
    return bool(setting)


def previous_run_metrics(output_dir: str | Path, run_dir: Path) -> dict[str, dict] | None:
    """The dev/test metrics of the run ``outputs/latest`` pointed at before this one, if any."""
    latest = Path(output_dir) / "latest"
    if not latest.exists() or latest.resolve() == run_dir.resolve():
        return None
    found = {}
    for split in ("dev", "test"):
        path = latest / "eval" / split / "metrics.json"
        if path.exists():
            try:
                found[split] = read_previous(path)
            except ModelLoadError as exc:
                log.warning("Not comparing with the previous run: %s", exc)
    return found or None


def train(cfg: DictConfig, callbacks: list | None = None) -> dict[str, Any]:
    """Fit on train (best checkpoint by dev macro-F1), export, evaluate on dev and test."""
    validate_train_config(cfg)
    import torch
    from transformers import set_seed

    from claimnet.features import SentenceEncoder
    from claimnet.modeling import build_model, build_tokenizer, resolve_source
    from claimnet.precision import resolve_precision
    from claimnet.training import build_trainer, class_weights, encode_articles, last_checkpoint

    run_dir = _run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    labels = LabelSet.from_names(cfg.data.labels)
    splits = load_splits(cfg.data, labels)
    print(f"Data: {cfg.data.name}\n{summarize(splits, labels)}", flush=True)

    checkpoint = None
    if cfg.trainer.resume:
        checkpoint = last_checkpoint(run_dir / "checkpoints")
        if checkpoint is None:
            raise ConfigError(
                f"trainer.resume=true but {run_dir} holds no checkpoint to resume from; "
                "pass run_dir=PATH of the interrupted run, or drop trainer.resume"
            )
        log.info("Resuming %s from %s", run_dir, checkpoint)
    previous = previous_run_metrics(cfg.paths.output_dir, run_dir)
    point_latest(cfg.paths.output_dir, run_dir)
    OmegaConf.save(cfg, run_dir / "config.yaml", resolve=True)
    write_json(run_dir / "versions.json", versions())

    if cfg.trainer.num_threads:
        torch.set_num_threads(cfg.trainer.num_threads)
    set_seed(cfg.seed)
    use_cuda = _use_cuda(cfg.trainer.use_cuda)
    precision = resolve_precision(cfg.trainer.precision, use_cuda)
    if precision == "fp16" and not use_cuda:
        raise ConfigError("trainer.precision=fp16 needs a GPU; on CPU use one of ['auto', 'bf16', 'fp32'].")
    log.info("Precision: %s (trainer.precision=%s, device %s)", precision, cfg.trainer.precision,
             "cuda" if use_cuda else "cpu")

    source = resolve_source(cfg.model.source, cfg.model.sha256)
    tokenizer = build_tokenizer(source)
    encoder = SentenceEncoder(tokenizer.backend_tokenizer, cfg.model.max_length)
    window = cfg.model.context_window
    train_ds = encode_articles(splits["train"], encoder, window, labels.label2id)
    dev_ds = encode_articles(splits["dev"], encoder, window, labels.label2id)
    weights = class_weights(label_counts(splits["train"]), labels.names,
                            OmegaConf.to_object(cfg.trainer.class_weights)
                            if OmegaConf.is_config(cfg.trainer.class_weights) else cfg.trainer.class_weights)
    model = build_model(source, labels.names,
                        OmegaConf.to_object(cfg.model.random_init) if cfg.model.random_init else None,
                        cfg.model.dropout)
    trainer_cfg = OmegaConf.to_container(cfg.trainer, resolve=True)
    trainer_cfg["use_cuda"] = use_cuda
    trainer = build_trainer(
        model=model, tokenizer=tokenizer, train_dataset=train_ds, eval_dataset=dev_ds,
        checkpoint_dir=run_dir / "checkpoints", trainer_cfg=trainer_cfg, precision=precision,
        seed=cfg.seed, label_weights=weights,
        tensorboard_dir=run_dir / "tensorboard" if cfg.logger.tensorboard else None,
        callbacks=callbacks or [],
    )
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    train_seconds = time.perf_counter() - started
    state = trainer.state
    training = {
        "seconds": round(train_seconds, 1),
        "resumed_from": checkpoint,
        "steps": state.global_step,
        "epochs": state.epoch,
        "best_checkpoint": state.best_model_checkpoint,
        "best_dev_macro_f1": state.best_metric,
        "train_loss": result.training_loss,
        "precision": precision,
        "sentences_per_second": result.metrics.get("train_samples_per_second"),
    }
    log.info("Training took %.0f s; best dev macro-F1 %s", train_seconds, state.best_metric)
    summary = build_export(trainer.model, tokenizer, run_dir, cfg, splits, training, previous)
    return summary


def build_export(model, tokenizer, run_dir: Path, cfg: DictConfig, splits: dict[str, list[Article]],
                 training: dict[str, Any], previous: dict[str, dict] | None = None) -> dict[str, Any]:
    """Export into a temporary folder, evaluate that export, write card and manifest, move into place."""
    from claimnet.baselines import Baselines
    from claimnet.exporters.huggingface import save_huggingface
    from claimnet.inference import ClaimTagger
    from claimnet.manifest import write_manifest
    from claimnet.model_card import write_card
    from claimnet.segmentation import SEGMENTATION_SETTINGS

    labels = list(cfg.data.labels)
    tmp = run_dir / ".export-tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    save_huggingface(model, tokenizer, tmp)
    fields: dict[str, Any] = {
        "claimnet_version": versions()["claimnet"],
        "labels": labels,
        "context_window": int(cfg.model.context_window),
        "max_length": int(cfg.model.max_length),
        "segmentation": SEGMENTATION_SETTINGS,
        "base_model": cfg.model.name,
        "run": {"dir": str(run_dir.resolve()), "seed": cfg.seed, "data": cfg.data.name,
                "data_version": str(cfg.data.version), "training": training},
    }
    if cfg.export.onnx:
        # From the saved weights, not the Trainer's model: accelerate wraps its forward in autocast.
        from transformers import AutoModelForSequenceClassification

        saved = AutoModelForSequenceClassification.from_pretrained(str(tmp))
        fields["int8"] = export_onnx_formats(saved, tmp, cfg, splits["dev"], fields)
    write_manifest(tmp, fields)
    ev = cfg.evaluation
    tagger = ClaimTagger.load(tmp, backend=ev.backend, precision=ev.precision, batch_size=ev.batch_size)
    baselines = Baselines(splits["train"], labels, cfg.seed) if ev.baselines else None
    metrics = {}
    for split in ("dev", "test"):
        metrics[split] = evaluate_split(
            tagger, splits[split], run_dir / "eval" / split, ev, cfg.seed,
            title=f"claimnet: {cfg.model.name} on {cfg.data.name} {split}",
            baselines=baselines, previous=previous.get(split) if previous else None,
        )
    card = card_data(cfg, splits, training, metrics, tmp, fields.get("int8"))
    write_card(card, tmp)
    fields["metrics"] = {
        split: {k: m[k] for k in ("macro_f1", "accuracy", "per_label", "intervals") if k in m}
        | {"backend": tagger.backend_name}
        for split, m in metrics.items()
    }
    write_manifest(tmp, fields)
    export_dir = run_dir / "export"
    old = run_dir / ".export-old"
    if export_dir.exists():
        os.replace(export_dir, old)
    os.replace(tmp, export_dir)
    if old.exists():
        shutil.rmtree(old)
    summary = {"run_dir": str(run_dir), "export_dir": str(export_dir), "training": training,
               "dev": metrics["dev"], "test": metrics["test"]}
    write_json(run_dir / "summary.json", {k: v for k, v in summary.items() if k not in ("dev", "test")}
               | {"dev_macro_f1": metrics["dev"]["macro_f1"], "test_macro_f1": metrics["test"]["macro_f1"]})
    print(headline(metrics["dev"], "dev"))
    print(headline(metrics["test"], "test"))
    print(f"Report: {run_dir / 'eval' / 'test' / 'report.html'}")
    print(f"Export: {export_dir}")
    return summary


def card_data(cfg: DictConfig, splits: dict[str, list[Article]], training: dict[str, Any],
              metrics: dict[str, dict], export_dir: Path, int8: dict[str, Any] | None):
    """The model card's facts, from the run's config, data, training and evaluation."""
    from claimnet.model_card import CardData
    from claimnet.runs import cpu_name

    return CardData(
        model_name=f"claimnet-{Path(cfg.model.name).name}",
        base_model=cfg.model.name,
        base_license=cfg.model.license,
        labels=list(cfg.data.labels),
        label_descriptions=dict(cfg.data.get("label_descriptions") or {}),
        dataset=cfg.data.name,
        dataset_version=str(cfg.data.version),
        data_license=cfg.data.license,
        train_counts=dict(label_counts(splits["train"])),
        context_window=int(cfg.model.context_window),
        max_length=int(cfg.model.max_length),
        recipe={k: cfg.trainer[k] for k in ("learning_rate", "batch_size", "epochs", "class_weights")}
        | {"precision": training.get("precision"), "seed": cfg.seed},
        train_seconds=training.get("seconds"),
        hardware=cpu_name(),
        metrics=metrics,
        file_sizes={p.relative_to(export_dir).as_posix(): p.stat().st_size
                    for p in export_dir.rglob("*") if p.is_file()},
        int8=int8,
    )


def export_onnx_formats(model, export_dir: Path, cfg: DictConfig, dev: list[Article],
                        fields: dict[str, Any]) -> dict[str, Any] | None:
    """Write ONNX fp32 (and int8 when it holds up on dev); return the int8 figures for the manifest."""
    from claimnet.exporters.onnx import INT8_FILE, export_onnx, quantize_int8
    from claimnet.inference import ClaimTagger
    from claimnet.manifest import write_manifest

    export_onnx(model, export_dir, opset=cfg.export.opset)
    if not cfg.export.int8:
        return None
    quantize_int8(export_dir)
    write_manifest(export_dir, fields)
    labels = list(cfg.data.labels)
    gold = [[labels.index(s.label) for s in a.sentences] for a in dev]
    texts = [a.text for a in dev]
    spans = [[(s.start, s.end) for s in a.sentences] for a in dev]
    preds = {}
    for precision in ("fp32", "int8"):
        tagger = ClaimTagger.load(export_dir, backend="onnx", precision=precision)
        preds[precision] = [p.argmax(axis=1) for p in tagger.predict_spans(texts, spans)]
    from sklearn.metrics import f1_score
    import numpy as np

    flat_gold = np.concatenate(gold)
    fp32, int8 = np.concatenate(preds["fp32"]), np.concatenate(preds["int8"])
    f1 = {name: float(f1_score(flat_gold, p, average="macro")) for name, p in (("fp32", fp32), ("int8", int8))}
    figures = {
        "split": "dev",
        "agreement_with_fp32": float((fp32 == int8).mean()),
        "macro_f1_fp32": f1["fp32"],
        "macro_f1_int8": f1["int8"],
        "macro_f1_drop": f1["fp32"] - f1["int8"],
        "max_drop": float(cfg.export.int8_max_f1_drop),
        "included": True,
    }
    if figures["macro_f1_drop"] > cfg.export.int8_max_f1_drop:
        (export_dir / INT8_FILE).unlink()
        figures["included"] = False
        log.warning("int8 ONNX left out: it loses %.4f dev macro-F1 against fp32 (export.int8_max_f1_drop=%s)",
                    figures["macro_f1_drop"], cfg.export.int8_max_f1_drop)
    log.info("int8 vs fp32 on dev: agreement %.4f, macro-F1 %.4f vs %.4f",
             figures["agreement_with_fp32"], f1["int8"], f1["fp32"])
    return figures


def export(cfg: DictConfig) -> dict[str, Any]:
    """Re-export a run's best checkpoint (``make export ARGS="run_dir=..."``)."""
    import json

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from claimnet.training import last_checkpoint

    run_dir = Path(cfg.run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise ModelLoadError(f"{run_dir}: not a training run folder (no config.yaml); pass run_dir=PATH")
    run_cfg = OmegaConf.load(config_path)
    last = last_checkpoint(run_dir / "checkpoints")
    if last is None:
        raise ModelLoadError(f"{run_dir / 'checkpoints'}: no checkpoint to export")
    best = json.loads((Path(last) / "trainer_state.json").read_text()).get("best_model_checkpoint") or last
    best = run_dir / "checkpoints" / Path(best).name
    log.info("Exporting %s", best)
    model = AutoModelForSequenceClassification.from_pretrained(str(best))
    tokenizer = AutoTokenizer.from_pretrained(str(best))
    labels = LabelSet.from_names(run_cfg.data.labels)
    splits = load_splits(run_cfg.data, labels, names=("train", "dev", "test"))
    run_cfg.evaluation = cfg.evaluation  # this call's settings, not the run's
    run_cfg.export = cfg.export
    summary_path = run_dir / "summary.json"
    training = json.loads(summary_path.read_text())["training"] if summary_path.exists() else {}
    return build_export(model, tokenizer, run_dir, run_cfg, splits, training)


def resolve_model_path(path: str | Path) -> Path:
    """An export folder, or a run folder whose ``export/`` is used."""
    path = Path(path)
    if (path / "export" / "claimnet.json").exists() and not (path / "claimnet.json").exists():
        return path / "export"
    return path


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Score an export on an annotated JSONL file; returns metrics plus failed gates."""
    from claimnet.inference import ClaimTagger

    check_choice(cfg, "evaluation.backend", ["auto", "onnx", "torch"])
    check_number(cfg, "evaluation.bootstrap_resamples", 0, integer=True)
    model_path = resolve_model_path(cfg.model_path)
    ev = cfg.evaluation
    tagger = ClaimTagger.load(model_path, backend=ev.backend, precision=ev.precision, batch_size=ev.batch_size)
    articles = load_articles(cfg.data_path, tagger.labels)
    previous = read_previous(cfg.compare_to)
    validate_gates(cfg.gates, tagger.labels, previous is not None)
    baselines = None
    if ev.baselines:
        from claimnet.baselines import Baselines

        baselines = Baselines(load_articles(cfg.baseline_train_path, tagger.labels), tagger.labels, cfg.seed)
    out = Path(cfg.output_dir)
    metrics = evaluate_split(tagger, articles, out, ev, cfg.seed,
                             title=f"claimnet: {model_path} on {Path(cfg.data_path).name}",
                             baselines=baselines, previous=previous, gates=cfg.gates)
    print(headline(metrics, Path(cfg.data_path).name))
    print(f"Report: {out / 'report.html'}")
    if metrics["gates"]["failures"]:
        raise GateFailure("\n".join(metrics["gates"]["failures"]))
    return metrics


def benchmark(cfg: DictConfig) -> dict[str, Any]:
    """Run the speed benchmark (``make bench``); write the JSON report to ``out`` and print a table."""
    from claimnet.benchmark import apply_quick, run_benchmark, table

    if cfg.quick:
        apply_quick(cfg)
    validate_train_config(cfg)
    report = run_benchmark(cfg)
    write_json(cfg.out, report)
    print(table(report))
    print(f"Report: {cfg.out}")
    return report
