"""``scripts/train.py``: fit on train (best checkpoint by dev macro-F1), export, evaluate on dev and test."""

from __future__ import annotations

import logging
import time
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from claimnet.data import iter_articles, load_splits, summarize
from claimnet.data.articles import SplitCounts
from claimnet.errors import ClaimnetError, ConfigError
from claimnet.evaluation.history import previous_run_metrics
from claimnet.evaluation.metrics import headline
from claimnet.runtime.environment import package_versions
from claimnet.runtime.files import write_json, write_text
from claimnet.tasks.folders import run_dir_of
from claimnet.training.config import plain, validate_train_config
from claimnet.training.distributed import barrier, is_main, world_size
from claimnet.training.runs import LATEST, RUNNING, finish, mark, point, run_lock, state_of
from claimnet.training.tracking import mlflow_run

log = logging.getLogger("claimnet")
SUMMARY = "summary.json"
EVALUATED = ("dev", "test")  # the splits held in memory as articles: the export is scored on them


def print_outcome(run_dir: Path, summary: dict[str, Any]) -> None:
    """The last lines of a run: dev and test headlines, the report, the export."""
    print(headline(summary["dev"], "dev"))
    print(headline(summary["test"], "test"))
    print(f"Report: {run_dir / 'eval' / 'test' / 'report.html'}")
    print(f"Export: {summary['export_dir']}")


DATA_RECORD = "data.json"  # the SHA-256 of each data file the run read: a resume must read the same
# Keys that cannot change a run's result: a resume may differ in these (and in num_train_epochs, upwards).
RESUME_FREE = ("paths.", "logger.", "evaluation.", "export.", "run_dir", "optimized_metric", "task_name",
               "trainer.resume", "trainer.progress_bar", "trainer.logging_steps", "trainer.num_threads",
               "trainer.dataloader_num_workers", "trainer.save_total_limit", "data.max_errors")


def data_hashes(cfg: DictConfig) -> dict[str, str]:
    """The SHA-256 of the train, dev and test files (and of the soft labels, when the run learns from them)."""
    from claimnet.runtime.files import sha256_file

    hashes = {split: sha256_file(cfg.data[f"{split}_path"]) for split in ("train", "dev", "test")}
    if uses_soft_labels(cfg):
        hashes["soft_labels"] = sha256_file(cfg.data.soft_labels)
    return hashes


def uses_soft_labels(cfg: DictConfig) -> bool:
    """Whether the run learns from a teacher's soft labels (``trainer.distillation.weight`` > 0)."""
    return bool(OmegaConf.select(cfg, "trainer.distillation.weight", default=0))


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): node}


def refuse_changed_resume(run_dir: Path, cfg: DictConfig) -> None:
    """A resume continues the run it names: a change to the model, the data (paths or content), the label set,
    the shapes or the optimiser is refused, listing the keys, before the folder is touched."""
    recorded = _flat(OmegaConf.to_container(OmegaConf.load(run_dir / "config.yaml"), resolve=False))
    requested = _flat(OmegaConf.to_container(cfg, resolve=True))
    changed = sorted(key for key in set(recorded) | set(requested)
                     if recorded.get(key) != requested.get(key) and not key.startswith(RESUME_FREE)
                     and not (key == "trainer.num_train_epochs"
                              and float(requested.get(key) or 0) >= float(recorded.get(key) or 0)))
    record = run_dir / DATA_RECORD
    if record.is_file():
        import json

        before = json.loads(record.read_text(encoding="utf-8"))
        changed += [f"data.{split}{'' if split == 'soft_labels' else '_path'} (its content: SHA-256 "
                    f"{before[split][:12]}... then, "
                    f"{now[:12]}... now)" for split, now in data_hashes(cfg).items()
                    if split in before and before[split] != now]
    if changed:
        raise ConfigError(f"trainer.resume=true would continue {run_dir} with a different setup: "
                          f"{', '.join(changed)} changed. Resume with the run's own settings "
                          f"({run_dir / 'config.yaml'}), or start a new run")


def verbose() -> bool:
    """``hydra.verbose=true`` (or ``-v``-style Hydra verbosity): the libraries' own output comes back."""
    from hydra.core.hydra_config import HydraConfig

    return HydraConfig.initialized() and bool(OmegaConf.select(HydraConfig.get(), "verbose"))


def train(cfg: DictConfig, callbacks: list | None = None) -> dict[str, Any]:
    """Fit, export and evaluate; returns the run's summary with dev and test metrics."""
    labels = validate_train_config(cfg)
    if not verbose():  # one bar for the run (the Trainer's), not one per weight file loaded or saved
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


    main = is_main()  # under torchrun, rank 0 alone writes the run folder's files; every rank trains
    if not main:
        log.setLevel(logging.WARNING)
    # Every data error is found before the run folder holds anything (no debris, outputs/running unchanged):
    # dev and test are read whole; train is read through once here, then streamed into its Arrow cache by fit.
    splits = load_splits(cfg.data, labels, EVALUATED)
    for _ in iter_articles(cfg.data.train_path, labels.names, cfg.data.max_errors, cfg.data.limit_articles):
        pass
    soft = read_soft_labels_for(cfg, labels) if uses_soft_labels(cfg) else None
    run_dir = run_dir_of(cfg)
    if state_of(run_dir) == "finished":
        raise ConfigError(f"run_dir={run_dir} is a finished run, and claimnet never trains one again (its export "
                          "would be replaced): `claimnet export run_dir=...` re-exports it; a new run needs no run_dir")
    if cfg.trainer.resume and (run_dir / "config.yaml").is_file():
        refuse_changed_resume(run_dir, cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir) if main else nullcontext():
        return _locked_run(cfg, labels, splits, run_dir, callbacks, main, soft)


def read_soft_labels_for(cfg: DictConfig, labels):
    """The teacher's soft labels for this run's training file (refused when made for other data)."""
    from claimnet.data.soft_labels import read_soft_labels
    from claimnet.runtime.files import sha256_file

    return read_soft_labels(cfg.data.soft_labels, cfg.data.train_path, sha256_file(cfg.data.train_path),
                            labels.names, cfg.trainer.distillation.unlabelled_sentences)


def _locked_run(cfg: DictConfig, labels, splits, run_dir: Path, callbacks, main: bool, soft=None) -> dict[str, Any]:
    """The run, its folder locked against a second writer."""
    from claimnet.training.trainer import last_checkpoint


    checkpoint = None
    if cfg.trainer.resume:
        checkpoint = last_checkpoint(run_dir / "checkpoints")
        running = Path(cfg.paths.output_dir) / RUNNING
        started = (run_dir / "config.yaml").exists() or (running.exists() and running.resolve() == run_dir.resolve())
        if checkpoint is None and not started:
            raise ConfigError(
                f"trainer.resume=true but {run_dir} holds no checkpoint to resume from; "
                "pass run_dir=PATH of the interrupted run, or drop trainer.resume"
            )
        if checkpoint is None:  # killed before its first checkpoint: nothing to keep, nothing lost
            log.warning("Resuming %s: it was stopped before its first complete checkpoint; training from the start",
                        run_dir)
        else:
            log.info("Resuming %s from %s", run_dir, checkpoint)
    latest = Path(cfg.paths.output_dir) / LATEST
    previous = previous_run_metrics(latest if latest.exists() else None, run_dir)
    if main:
        (run_dir / SUMMARY).unlink(missing_ok=True)  # written again once this run's export is complete
        point(cfg.paths.output_dir, RUNNING, run_dir)
        mark(run_dir, "running")
        write_text(run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
        write_json(run_dir / "versions.json", package_versions())
        write_json(run_dir / DATA_RECORD, data_hashes(cfg))
    try:
        summary = _fit_export_evaluate(cfg, labels, splits, run_dir, checkpoint, previous, callbacks, main, soft)
    except BaseException as exc:  # the folder says why; outputs/latest does not move, outputs/running stays on it
        if main:
            why = "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else (
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            mark(run_dir, "failed", why)
        raise
    if main:
        mark(run_dir, "finished")
        print_outcome(run_dir, summary)
    return summary


def _fit_export_evaluate(cfg: DictConfig, labels, splits, run_dir: Path, checkpoint, previous, callbacks,
                         main: bool, soft=None) -> dict[str, Any]:
    """The run's work once its folder exists: fit, then (rank 0) export, evaluate and finish the run."""
    from claimnet.evaluation.baselines import Baselines
    from claimnet.tasks.finish import finish_export

    settings = plain(cfg.logger.get("mlflow")) if main else None
    with mlflow_run(settings, run_dir, cfg) as tracker:  # None unless logger=mlflow (and on rank 0)
        callbacks = [*(callbacks or []), *([tracker.callback()] if tracker else [])]
        trainer, tokenizer, training, train_counts = fit(cfg, splits, labels, run_dir, checkpoint, callbacks, soft)
        log.info("Training took %.0f s; best dev macro-F1 %s", training["seconds"], training["best_dev_macro_f1"])
        if not main:
            barrier()  # rank 0 exports and evaluates on the whole splits
            return summary_of_main(run_dir)
        try:
            baselines = Baselines.from_file(cfg.data.train_path, labels, cfg.seed, cfg.data.limit_articles,
                                            cfg.evaluation.baseline_max_sentences) if cfg.evaluation.baselines else None
            exported = finish_export(trainer.model, tokenizer, run_dir, cfg, labels, splits, train_counts.labels,
                                    training, baselines, previous)
            summary = write_summary(run_dir, training, exported)
            if tracker:
                tracker.finish(summary)
            finish(cfg.paths.output_dir, run_dir)
        finally:
            barrier()
    return summary


def fit(cfg: DictConfig, splits: dict[str, list], labels, run_dir: Path, checkpoint: str | None,
        callbacks: list, soft=None) -> tuple[Any, Any, dict[str, Any], SplitCounts]:
    """Train (or continue) the model; ``soft``: a teacher's soft labels for train (and unlabelled sentences).

    Returns the Trainer (best checkpoint loaded), the tokenizer, the training
    record and what the training split held. Train and dev are encoded into
    Arrow caches first (rank 0 builds them, the other ranks then read them).
    """
    import torch
    from transformers import set_seed

    from claimnet.exporters.last_layer import last_layer_on_first_token
    from claimnet.runtime.encoding import SentenceEncoder
    from claimnet.training.arguments import training_arguments
    from claimnet.training.class_weights import class_weights
    from claimnet.training.dataset import encoded_split, split_counts
    from claimnet.training.device import bf16_residual_stream, keep_onednn_primitives, resolve_device
    from claimnet.training.dropout import bulk_dropout_in
    from claimnet.training.modeling import build_model, build_tokenizer, freeze_word_embeddings, resolve_source
    from claimnet.training.trainer import build_trainer

    keep_onednn_primitives()
    if cfg.trainer.num_threads:
        torch.set_num_threads(cfg.trainer.num_threads)
    set_seed(cfg.seed)
    on_gpu, precision = resolve_device(cfg.trainer.use_cuda, cfg.trainer.precision)
    log.info("Precision: %s (trainer.precision=%s, device %s, %d process%s)", precision, cfg.trainer.precision,
             "cuda" if on_gpu else "cpu", world_size(), "es" if world_size() > 1 else "")

    source = resolve_source(cfg.model.source, cfg.model.sha256)
    tokenizer = build_tokenizer(source)
    encoder = SentenceEncoder(tokenizer.backend_tokenizer, cfg.model.max_length, tokenizer.pad_token_id)
    trainer_cfg = plain(cfg.trainer)
    args = training_arguments(trainer_cfg, output_dir=run_dir / "checkpoints", precision=precision,
                              seed=cfg.seed, use_cuda=on_gpu)
    data = cfg.data
    with args.main_process_first(desc="encoding the data", local=False):
        train_ds, dev_ds = (encoded_split(data[f"{name}_path"], labels, encoder, cfg.model.context_window,
                                          cache_dir=cfg.paths.cache_dir, limit=data.limit_articles,
                                          max_errors=data.max_errors, soft=soft if name == "train" else None)
                            for name in ("train", "dev"))
    with warnings.catch_warnings():  # datasets still passes pyarrow a sort option pyarrow 25 deprecates
        warnings.filterwarnings("ignore", message="Specifying null_placement in SortOptions", category=FutureWarning)
        dev_ds = dev_ds.sort("length")  # dev in batches of like length (less padding); its figures do not depend on it
    train_counts = split_counts(train_ds, labels)
    if is_main():
        print(f"Data: {data.name}\n{summarize({'train': train_counts, **splits}, labels)}", flush=True)
        if soft is not None:
            print(f"Teacher: soft labels from {soft.path} (weight {cfg.trainer.distillation.weight}, temperature "
                  f"{cfg.trainer.distillation.temperature}), plus {soft.key()['unlabelled_sentences']} unlabelled "
                  "sentences", flush=True)
    weights = class_weights(train_counts.labels, labels, plain(cfg.trainer.class_weights))
    model = build_model(source, labels, plain(cfg.model.random_init) or None, cfg.model.dropout,
                        cfg.model.num_layers)
    if cfg.trainer.freeze_word_embeddings:
        frozen = freeze_word_embeddings(model)
        log.info("Word embeddings frozen: %s weights not trained (trainer.freeze_word_embeddings=true)", f"{frozen:,}")
    trainer = build_trainer(
        model=model, tokenizer=tokenizer, train_dataset=train_ds, eval_dataset=dev_ds,
        args=args, trainer_cfg=trainer_cfg, label_weights=weights, verbose=verbose(),
        distillation=trainer_cfg["distillation"] if soft is not None else None,
        tensorboard_dir=run_dir / "tensorboard" if cfg.logger.tensorboard else None,
        callbacks=callbacks or [],
    )
    bulk = cfg.trainer.bulk_dropout
    bf16_stream = precision == "bf16" and not on_gpu and not cfg.trainer.fp32_residual
    started = time.perf_counter()
    with (bulk_dropout_in(model) if (bulk is True or (bulk == "auto" and not on_gpu)) else nullcontext(0) as swapped,
          last_layer_on_first_token(model) as first_token,
          bf16_residual_stream(model) if bf16_stream else nullcontext(False) as residual_bf16):
        if residual_bf16:
            log.info("The residual stream runs in bf16 (trainer.fp32_residual=false)")
        if swapped:
            log.info("Dropout: %d modules draw their masks in bulk (trainer.bulk_dropout=%s)", swapped, bulk)
        if first_token:
            log.info("The last layer computes the [CLS] position alone (the only one the classifier reads)")
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
        "processes": world_size(),
        "sentences_per_second": result.metrics.get("train_samples_per_second"),
    }
    return trainer, tokenizer, training, train_counts


def summary_of_main(run_dir: Path) -> dict[str, Any]:
    """On a rank other than 0, after the barrier: the summary rank 0 wrote, or why there is none."""
    import json

    path = run_dir / SUMMARY
    if not path.exists():
        raise ClaimnetError(f"rank 0 stopped before finishing the export; see {run_dir / 'train.log'}")
    return json.loads(path.read_text())


def write_summary(run_dir: Path, training: dict[str, Any], exported: dict[str, Any]) -> dict[str, Any]:
    """``RUN/summary.json`` (time, steps, headline figures); returns the summary with full metrics."""
    summary = {"run_dir": str(run_dir), "export_dir": str(exported["export_dir"]), "training": training,
               "dev": exported["dev"], "test": exported["test"]}
    write_json(run_dir / SUMMARY, {k: v for k, v in summary.items() if k not in ("dev", "test")}
               | {"dev_macro_f1": exported["dev"]["macro_f1"], "test_macro_f1": exported["test"]["macro_f1"]})
    return summary
