"""The train config checked as a whole, before any data or model is loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omegaconf import OmegaConf

from claimnet.config import check_choice, check_number, get, validate_export_config
from claimnet.errors import ConfigError
from claimnet.labels import LabelSet
from claimnet.runtime.backends import BACKENDS, PRECISIONS
from claimnet.runtime.environment import TRAINING_PRECISIONS
from claimnet.training.arguments import check_trainer_keys
from claimnet.training.class_weights import check_class_weights


def plain(value: Any) -> Any:
    """An OmegaConf node as plain Python (lists, dicts); anything else as it is."""
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def validate_train_config(cfg: Mapping[str, Any]) -> LabelSet:
    """Reject out-of-range values (naming key and allowed values); return the run's label set."""
    missing = [f"data.{k}" for k in get(cfg, "data") if OmegaConf.is_missing(cfg["data"], k)]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set: this data config leaves them to you "
                          f"(e.g. {missing[0]}=...).")
    labels = LabelSet.from_names(get(cfg, "data.labels"))
    check_number(cfg, "seed", 0, integer=True)
    check_number(cfg, "model.context_window", 0, 20, integer=True)
    check_number(cfg, "model.max_length", 8, 512, integer=True)
    check_number(cfg, "trainer.num_train_epochs", 0, low_open=True)
    check_number(cfg, "trainer.max_steps", -1, integer=True)
    check_number(cfg, "trainer.per_device_train_batch_size", 1, integer=True)
    check_number(cfg, "trainer.per_device_eval_batch_size", 1, integer=True)
    check_number(cfg, "trainer.gradient_accumulation_steps", 1, integer=True)
    check_number(cfg, "trainer.learning_rate", 0, 1, low_open=True)
    check_number(cfg, "trainer.weight_decay", 0, 1)
    check_number(cfg, "trainer.warmup_steps", 0)
    check_number(cfg, "trainer.early_stopping_patience", 0, integer=True)
    check_number(cfg, "trainer.save_total_limit", 1, integer=True)
    check_number(cfg, "trainer.num_threads", 1, integer=True, allow_none=True)
    check_number(cfg, "data.limit_articles", 1, integer=True, allow_none=True)
    check_number(cfg, "evaluation.baseline_max_sentences", 1, integer=True, allow_none=True)
    check_choice(cfg, "trainer.precision", TRAINING_PRECISIONS)
    check_choice(cfg, "trainer.eval_strategy", ["epoch", "steps"])
    check_choice(cfg, "trainer.use_cuda", ["auto", True, False])
    check_choice(cfg, "trainer.resume", [True, False])
    check_choice(cfg, "trainer.bulk_dropout", ["auto", True, False])
    check_choice(cfg, "trainer.freeze_word_embeddings", [True, False])
    check_choice(cfg, "trainer.fp32_residual", [True, False])
    check_choice(cfg, "evaluation.backend", BACKENDS)
    check_choice(cfg, "evaluation.precision", PRECISIONS)
    if get(cfg, "trainer.eval_strategy") == "steps":
        check_number(cfg, "trainer.eval_steps", 1, integer=True)
    validate_export_config(cfg)
    if "kind" in get(cfg, "model"):
        check_choice(cfg, "model.kind", ["sentence", "article"])
    if get(cfg, "model").get("kind") == "article":
        check_number(cfg, "model.article.stride", 2, integer=True)
        check_number(cfg, "model.article.window", 2 * get(cfg, "model.article.stride"), 4096, integer=True)
        check_number(cfg, "model.article.articles_per_batch", 1, integer=True)
        check_number(cfg, "model.article.head_learning_rate", 0, 1, low_open=True)
        if get(cfg, "model.context_window") or not get(cfg, "export.onnx"):
            raise ConfigError("model=article takes its context from the contextualiser and runs on ONNX: "
                              "it needs model.context_window=0 and export.onnx=true.")
    check_class_weights(plain(get(cfg, "trainer.class_weights")), labels)
    check_optimized_metric(cfg.get("optimized_metric"), labels)
    check_trainer_keys(get(cfg, "trainer"))
    return labels


def check_optimized_metric(name: str | None, labels: LabelSet) -> None:
    """Only a dev figure may be optimised: test is for the final report, never for choosing."""
    allowed = ["dev_macro_f1", "dev_accuracy", *(f"dev_f1_{label}" for label in labels)]
    if name is not None and name not in allowed:
        raise ConfigError(f"optimized_metric must be one of {allowed} (or null). Got {name!r} instead.")
