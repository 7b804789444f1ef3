"""The train config checked as a whole, before any data or model is loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omegaconf import OmegaConf

from claimnet.config.checks import check_config, get
from claimnet.config.schema import JOB_SCHEMAS, TrainJob
from claimnet.errors import ConfigError
from claimnet.labels import LabelSet
from claimnet.training.arguments import check_trainer_keys
from claimnet.training.class_weights import check_class_weights


def plain(value: Any) -> Any:
    """An OmegaConf node as plain Python (lists, dicts); anything else as it is."""
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def validate_train_config(cfg: Mapping[str, Any]) -> LabelSet:
    """Reject out-of-range values (naming key and allowed values); return the run's label set.

    Each value against its schema field (:func:`claimnet.config.checks.check_config`), then what
    depends on more than one key.
    """
    missing = [f"data.{k}" for k in get(cfg, "data") if OmegaConf.is_missing(cfg["data"], k)]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set: this data config leaves them to you "
                          f"(e.g. {missing[0]}=...).")
    labels = LabelSet.from_names(get(cfg, "data.labels"))
    check_config(cfg, JOB_SCHEMAS.get(str(cfg.get("task_name")), TrainJob))
    if get(cfg, "trainer.eval_strategy") == "steps" and get(cfg, "trainer.eval_steps") is None:
        raise ConfigError("trainer.eval_steps must be set (an int >= 1) when trainer.eval_strategy=steps.")
    check_class_weights(plain(get(cfg, "trainer.class_weights")), labels)
    check_optimized_metric(cfg.get("optimized_metric"), labels)
    check_trainer_keys(get(cfg, "trainer"))
    check_distillation(cfg)
    return labels


def check_distillation(cfg: Mapping[str, Any]) -> None:
    """Soft labels are used only with a weight and a file; unlabelled sentences only with soft labels."""
    weight = get(cfg, "trainer.distillation.weight") or 0
    if weight > 0 and not get(cfg, "data.soft_labels"):
        raise ConfigError(f"trainer.distillation.weight={weight} needs a teacher's soft labels, and data.soft_labels "
                          "is null: `claimnet distill` writes them (or set trainer.distillation.weight=0)")
    if weight == 0 and (get(cfg, "trainer.distillation.unlabelled_sentences") or 0) > 0:
        raise ConfigError("trainer.distillation.unlabelled_sentences > 0 adds sentences that only the teacher "
                          "labelled: it needs trainer.distillation.weight > 0")


def check_optimized_metric(name: str | None, labels: LabelSet) -> None:
    """Only a dev figure may be optimised: test is for the final report, never for choosing."""
    allowed = ["dev_macro_f1", "dev_accuracy", *(f"dev_f1_{label}" for label in labels)]
    if name is not None and name not in allowed:
        raise ConfigError(f"optimized_metric must be one of {allowed} (or null). Got {name!r} instead.")
