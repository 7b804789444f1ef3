"""The ``trainer`` config group onto ``transformers.TrainingArguments``, in this one place.

The schema's trainer fields named like ``TrainingArguments`` arguments pass
straight through; any other argument goes in the explicit pass-through
``trainer.training_arguments`` (checked against ``TrainingArguments``' fields);
what claimnet must decide itself (checkpoint selection, precision flags, seeds,
logging) is set here and may not be overridden.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from claimnet.config.checks import training_argument_names
from claimnet.config.schema import TrainerConfig
from claimnet.errors import ConfigError

# Set by claimnet from other settings; the pass-through may not name them.
DERIVED = ("output_dir", "save_strategy", "save_steps", "load_best_model_at_end", "metric_for_best_model",
           "greater_is_better", "train_sampling_strategy", "length_column_name", "bf16", "fp16", "seed",
           "data_seed", "report_to", "disable_tqdm", "use_cpu")


def passed_as_is() -> list[str]:
    """The schema's trainer fields that are TrainingArguments arguments under the same name."""
    return [f.name for f in dataclasses.fields(TrainerConfig) if f.name in training_argument_names()]


def check_trainer_keys(trainer_cfg: Mapping[str, Any]) -> None:
    """``trainer.training_arguments`` holds only TrainingArguments arguments that claimnet and the schema leave."""
    for key in trainer_cfg.get("training_arguments") or {}:
        where = f"trainer.training_arguments.{key}"
        if key in DERIVED:
            raise ConfigError(f"{where}: {key} is set by claimnet itself and cannot be overridden.")
        if key in passed_as_is():
            raise ConfigError(f"{where}: {key} is a claimnet setting of its own: use trainer.{key}=...")
        if key not in training_argument_names():
            near = difflib.get_close_matches(key, sorted(training_argument_names()), n=1, cutoff=0.6)
            hint = f" Did you mean trainer.training_arguments.{near[0]}?" if near else ""
            raise ConfigError(f"{where} is not an argument of transformers.TrainingArguments.{hint}")


def training_arguments(trainer_cfg: Mapping[str, Any], *, output_dir: str | Path, precision: str, seed: int,
                       use_cuda: bool):
    """``TrainingArguments`` for one run: pass-through keys, plus what claimnet derives."""
    from transformers import TrainingArguments

    check_trainer_keys(trainer_cfg)
    passthrough = {k: trainer_cfg[k] for k in passed_as_is() if trainer_cfg.get(k) is not None}
    passthrough.update(trainer_cfg.get("training_arguments") or {})
    derived = {
        "output_dir": str(output_dir),
        "save_strategy": trainer_cfg["eval_strategy"],  # a checkpoint per evaluation: best by dev macro-F1
        "save_steps": trainer_cfg.get("eval_steps"),
        "load_best_model_at_end": True,
        "metric_for_best_model": "macro_f1",
        "greater_is_better": True,
        "train_sampling_strategy": "group_by_length" if trainer_cfg["group_by_length"] else "random",
        "length_column_name": "length",
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "seed": seed,
        "data_seed": seed,
        "report_to": "none",  # TensorBoard is added as a callback writing into the run folder
        "disable_tqdm": not trainer_cfg["progress_bar"],
        "use_cpu": not use_cuda,
    }
    return TrainingArguments(**passthrough, **derived)
