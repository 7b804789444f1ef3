"""Fine-tuning with the Hugging Face ``Trainer``.

The engine brings mixed precision, checkpoints, resumption and DDP; this module
adds what the task needs on top: class-weighted loss and macro-F1 model
selection with early stopping. Length-grouped batches and dynamic padding are
``TrainingArguments`` settings (:mod:`claimnet.training.arguments`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.scores import macro_f1

log = logging.getLogger(__name__)


def selection_metrics(eval_pred, names: Sequence[str] = ()) -> dict[str, float]:
    """The Trainer's ``compute_metrics``: claimnet's macro-F1 (checkpoint selection), accuracy, F1 per label."""
    from claimnet.scores import per_label_f1

    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    preds = logits.argmax(-1)
    k = logits.shape[-1]
    out = {"macro_f1": macro_f1(labels, preds, k), "accuracy": float((preds == labels).mean())}
    out.update({f"f1_{name}": f1 for name, f1 in zip(names, per_label_f1(labels, preds, k))})
    return out


def _epoch_log_callback(names: Sequence[str]):
    from transformers import TrainerCallback

    class EpochLog(TrainerCallback):
        """One line per evaluation (the console and RUN/train.log): epoch, train loss, dev macro-F1, each label's
        F1, and the time since training began."""

        started = time.perf_counter()

        def on_train_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            metrics = metrics or {}
            losses = [h["loss"] for h in state.log_history if "loss" in h]
            per_label = ", ".join(f"{n} {metrics.get(f'eval_f1_{n}', float('nan')):.3f}" for n in names)
            log.info("epoch %.2f (step %d): train loss %s, dev loss %.4f, dev macro-F1 %.4f | %s | %.0f s",
                     state.epoch or 0, state.global_step, f"{losses[-1]:.4f}" if losses else "n/a",
                     metrics.get("eval_loss", float("nan")), metrics.get("eval_macro_f1", float("nan")), per_label,
                     time.perf_counter() - self.started)

    return EpochLog()


def _quiet_progress():
    """The Trainer's progress bar for the run, without the log dictionaries and evaluation bars it also prints
    (:func:`_epoch_log_callback` says what matters once per evaluation)."""
    from transformers.trainer_callback import ProgressCallback

    class RunProgress(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            pass

        def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
            pass

    return RunProgress


SOFT_LABELS = "soft_labels"  # the dataset column of the teacher's log-probabilities (claimnet distill)


def distillation_loss(logits, labels, soft, *, label_weights=None, temperature: float = 2.0,
                      gold_weight: float = 1.0, soft_weight: float = 0.0, unlabelled_weight: float = 1.0):
    """Gold cross-entropy (label-weighted, over the rows that have a gold label) plus the temperature-scaled KL
    divergence from the teacher's softened distribution to the student's (Hinton et al., 2015), scaled by T².

    ``soft`` holds the teacher's log-probabilities, or is None (gold labels alone). Rows without a gold label
    (``-100``: unlabelled sentences) count in the KL term alone, weighted by ``unlabelled_weight``.
    """
    import torch
    import torch.nn.functional as F

    logits = logits.float()
    gold = labels != -100
    weight = None if label_weights is None else torch.tensor(label_weights, dtype=torch.float32,
                                                             device=logits.device)
    loss = logits.new_zeros(())
    if bool(gold.any()):
        loss = gold_weight * F.cross_entropy(logits[gold], labels[gold], weight=weight)
    if soft is None or soft_weight == 0:
        return loss
    teacher = F.log_softmax(soft.float() / temperature, dim=-1)
    student = F.log_softmax(logits / temperature, dim=-1)
    per_row = (teacher.exp() * (teacher - student)).sum(-1)
    row_weight = torch.where(gold, torch.ones_like(per_row), torch.full_like(per_row, unlabelled_weight))
    kl = (row_weight * per_row).sum() / row_weight.sum().clamp_min(1e-12)
    return loss + soft_weight * temperature ** 2 * kl


def _weighted_trainer_class():
    from transformers import Trainer

    class WeightedLossTrainer(Trainer):
        """A Trainer whose cross-entropy weighs each label (rare hedges count more) and, with a teacher's soft
        labels in the batch, adds the distillation term (:func:`distillation_loss`)."""

        def __init__(self, *args, label_weights: list[float] | None = None,
                     distillation: Mapping[str, Any] | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.label_weights = label_weights
            self.distillation = dict(distillation or {})

        def _set_signature_columns_if_needed(self):
            super()._set_signature_columns_if_needed()  # the model's inputs and labels, and the teacher's column
            if SOFT_LABELS not in self._signature_columns:
                self._signature_columns.append(SOFT_LABELS)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            soft = inputs.pop(SOFT_LABELS, None)
            outputs = model(**inputs)
            d = self.distillation
            loss = distillation_loss(outputs.logits, labels, soft, label_weights=self.label_weights,
                                     temperature=d.get("temperature", 2.0), gold_weight=d.get("gold_weight", 1.0),
                                     soft_weight=d.get("weight", 0.0),
                                     unlabelled_weight=d.get("unlabelled_weight", 1.0))
            return (loss, outputs) if return_outputs else loss

    return WeightedLossTrainer


def last_checkpoint(checkpoint_dir: str | Path) -> str | None:
    """The newest complete checkpoint (a half-written one is skipped; see :mod:`claimnet.training.runs`)."""
    from claimnet.training.runs import last_complete_checkpoint

    return last_complete_checkpoint(checkpoint_dir)


def build_trainer(
    *,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    args,
    trainer_cfg: Mapping[str, Any],
    label_weights: list[float] | None,
    distillation: Mapping[str, Any] | None = None,
    tensorboard_dir: str | Path | None,
    callbacks: Sequence[Any] = (),
    verbose: bool = False,
):
    """Assemble the Trainer for one run: ``args`` from :func:`training_arguments`, the rest of ``trainer``.

    ``verbose`` (``hydra.verbose=true``) keeps the Trainer's own printing of every log dictionary.
    """
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback

    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    all_callbacks = [*callbacks, _epoch_log_callback(names)]
    patience = trainer_cfg["early_stopping_patience"]
    if patience:
        all_callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
    if tensorboard_dir is not None:
        from torch.utils.tensorboard import SummaryWriter
        from transformers.integrations import TensorBoardCallback

        all_callbacks.append(TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(tensorboard_dir))))
    trainer_cls = _weighted_trainer_class()
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=functools.partial(selection_metrics, names=names),
        callbacks=all_callbacks,
        label_weights=label_weights,
        distillation=distillation,
    )
    if not verbose:
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
        if not args.disable_tqdm:
            trainer.add_callback(_quiet_progress())
    return trainer
