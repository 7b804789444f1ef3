"""The ``trainer`` config group onto ``transformers.TrainingArguments``, in this one place.

Keys that are ``TrainingArguments`` arguments keep its names and pass straight
through (so ``+trainer.gradient_checkpointing=true`` works too); the keys in
:data:`CLAIMNET_KEYS` are claimnet's own; what claimnet must decide itself
(checkpoint selection, precision flags, seeds, logging) is set here and may not
be overridden.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from claimnet.errors import ConfigError

CLAIMNET_KEYS = {
    "class_weights": "none | balanced | sqrt | {label: weight}",
    "precision": "auto | bf16 | fp16 | fp32",
    "group_by_length": "length-grouped batches (TrainingArguments.train_sampling_strategy)",
    "early_stopping_patience": "evaluations without dev macro-F1 gain before stopping; 0 = off",
    "num_threads": "torch threads",
    "progress_bar": "tqdm progress bars (TrainingArguments.disable_tqdm, inverted)",
    "use_cuda": "auto | true | false (TrainingArguments.use_cpu, inverted)",
    "resume": "continue run_dir from its last checkpoint",
    "bulk_dropout": "auto | true | false: dropout masks from bulk random bits (auto: on CPU)",
    "freeze_word_embeddings": "true | false: the encoder's vocabulary matrix is not trained",
    "fp32_residual": "true | false: under CPU bf16 autocast, keep the residual stream in fp32",
}
# Set by claimnet from other settings; a trainer key of the same name would be ignored, so it is refused.
DERIVED = ("output_dir", "save_strategy", "save_steps", "load_best_model_at_end", "metric_for_best_model",
           "greater_is_better", "train_sampling_strategy", "length_column_name", "bf16", "fp16", "seed",
           "data_seed", "report_to", "disable_tqdm", "use_cpu")


@cache
def training_argument_names() -> frozenset[str]:
    from transformers import TrainingArguments

    return frozenset(f.name for f in dataclasses.fields(TrainingArguments) if f.init)


def check_trainer_keys(trainer_cfg: Mapping[str, Any]) -> None:
    """Every key is claimnet's own or a TrainingArguments argument claimnet does not set itself."""
    for key in trainer_cfg:
        if key in CLAIMNET_KEYS:
            continue
        if key in DERIVED:
            raise ConfigError(f"trainer.{key} is set by claimnet itself and cannot be overridden.")
        if key not in training_argument_names():
            known = [*CLAIMNET_KEYS, *training_argument_names()]
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6) or sorted(
                (k for k in known if key in k), key=len)[:1]
            hint = f" Did you mean trainer.{near[0]}?" if near else ""
            raise ConfigError(
                f"trainer.{key} is neither a claimnet trainer setting {sorted(CLAIMNET_KEYS)} nor an argument "
                f"of transformers.TrainingArguments.{hint}"
            )


def training_arguments(trainer_cfg: Mapping[str, Any], *, output_dir: str | Path, precision: str, seed: int,
                       use_cuda: bool):
    """``TrainingArguments`` for one run: pass-through keys, plus what claimnet derives."""
    from transformers import TrainingArguments

    check_trainer_keys(trainer_cfg)
    passthrough = {k: v for k, v in trainer_cfg.items() if k not in CLAIMNET_KEYS}
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
