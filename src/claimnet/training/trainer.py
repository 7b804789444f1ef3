"""Fine-tuning with the Hugging Face ``Trainer``.

The engine brings mixed precision, checkpoints, resumption and DDP; this module
adds what the task needs on top: class-weighted loss and macro-F1 model
selection with early stopping. Length-grouped batches and dynamic padding are
``TrainingArguments`` settings (:mod:`claimnet.training.arguments`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.evaluation.metrics import macro_f1
from claimnet.training.arguments import training_arguments

log = logging.getLogger(__name__)


def selection_metrics(eval_pred) -> dict[str, float]:
    """The Trainer's ``compute_metrics``: claimnet's macro-F1 (checkpoint selection) and accuracy."""
    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    logits = np.asarray(logits)
    preds = logits.argmax(-1)
    labels = np.asarray(labels)
    return {"macro_f1": macro_f1(labels, preds, logits.shape[-1]), "accuracy": float((preds == labels).mean())}


def _weighted_trainer_class():
    import torch
    from transformers import Trainer

    class WeightedLossTrainer(Trainer):
        """A Trainer whose cross-entropy weighs each label (rare hedges count more)."""

        def __init__(self, *args, label_weights: list[float] | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.label_weights = label_weights

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            logits = outputs.logits
            weight = None
            if self.label_weights is not None:
                weight = torch.tensor(self.label_weights, dtype=torch.float32, device=logits.device)
            loss = torch.nn.functional.cross_entropy(logits.float(), labels, weight=weight)
            return (loss, outputs) if return_outputs else loss

    return WeightedLossTrainer


def last_checkpoint(checkpoint_dir: str | Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    path = Path(checkpoint_dir)
    return get_last_checkpoint(str(path)) if path.is_dir() else None


def build_trainer(
    *,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    checkpoint_dir: str | Path,
    trainer_cfg: Mapping[str, Any],
    precision: str,
    seed: int,
    use_cuda: bool,
    label_weights: list[float] | None,
    tensorboard_dir: str | Path | None,
    callbacks: Sequence[Any] = (),
):
    """Assemble the Trainer for one run from the ``trainer`` config group."""
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback

    args = training_arguments(trainer_cfg, output_dir=checkpoint_dir, precision=precision, seed=seed,
                              use_cuda=use_cuda)
    all_callbacks = list(callbacks)
    patience = trainer_cfg["early_stopping_patience"]
    if patience:
        all_callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
    if tensorboard_dir is not None:
        from torch.utils.tensorboard import SummaryWriter
        from transformers.integrations import TensorBoardCallback

        all_callbacks.append(TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(tensorboard_dir))))
    trainer_cls = _weighted_trainer_class()
    return trainer_cls(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=selection_metrics,
        callbacks=all_callbacks,
        label_weights=label_weights,
    )
