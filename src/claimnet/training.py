"""Fine-tuning with the Hugging Face ``Trainer``.

The engine brings mixed precision, checkpoints, resumption and DDP; this module
adds what the task needs on top: class-weighted loss, macro-F1 model selection
with early stopping, length-grouped batches and dynamic padding.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from claimnet.data import Article
from claimnet.errors import ConfigError
from claimnet.features import SentenceEncoder, context_pairs

log = logging.getLogger(__name__)

CLASS_WEIGHT_SCHEMES = ("none", "balanced", "sqrt")


def class_weights(
    counts: Mapping[str, int], labels: Sequence[str], scheme: str | Mapping[str, float]
) -> list[float] | None:
    """Per-label loss weights: ``balanced`` = N / (K * n_c), ``sqrt`` = its square root."""
    if isinstance(scheme, Mapping):
        missing = [l for l in labels if l not in scheme]
        extra = [k for k in scheme if k not in labels]
        if missing or extra:
            raise ConfigError(
                f"trainer.class_weights as a mapping needs one weight per label {list(labels)}; "
                f"missing {missing}, unknown {extra}."
            )
        return [float(scheme[l]) for l in labels]
    if scheme not in CLASS_WEIGHT_SCHEMES:
        raise ConfigError(
            f"trainer.class_weights must be one of {list(CLASS_WEIGHT_SCHEMES)} or a mapping "
            f"label -> weight. Got {scheme!r} instead."
        )
    if scheme == "none":
        return None
    total = sum(counts.get(l, 0) for l in labels)
    weights = []
    for l in labels:
        n = counts.get(l, 0)
        w = total / (len(labels) * n) if n else 1.0
        weights.append(math.sqrt(w) if scheme == "sqrt" else w)
    return weights


def encode_articles(
    articles: Sequence[Article], encoder: SentenceEncoder, window: int, label2id: Mapping[str, int]
):
    """A ``datasets.Dataset`` of encoded sentences with labels and lengths."""
    from datasets import Dataset

    columns: dict[str, list[Any]] = {
        "input_ids": [], "token_type_ids": [], "attention_mask": [], "labels": [], "length": []
    }
    for article in articles:
        pairs = context_pairs(article.sentence_texts(), window)
        for enc, sent in zip(encoder.encode(pairs), article.sentences):
            for key in ("input_ids", "token_type_ids", "attention_mask"):
                columns[key].append(enc[key])
            columns["labels"].append(label2id[sent.label])
            columns["length"].append(len(enc["input_ids"]))
    return Dataset.from_dict(columns)


def macro_f1_metrics(eval_pred) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    preds = np.asarray(logits).argmax(-1)
    return {
        "macro_f1": float(f1_score(labels, preds, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(labels, preds)),
    }


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
    label_weights: list[float] | None,
    tensorboard_dir: str | Path | None,
    callbacks: Sequence[Any] = (),
):
    """Assemble the Trainer for one run from the ``trainer`` config group."""
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, TrainingArguments

    cfg = trainer_cfg
    args = TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=cfg["epochs"],
        max_steps=cfg["max_steps"],
        per_device_train_batch_size=cfg["batch_size"],
        per_device_eval_batch_size=cfg["eval_batch_size"],
        gradient_accumulation_steps=cfg["gradient_accumulation_steps"],
        learning_rate=cfg["learning_rate"],
        weight_decay=cfg["weight_decay"],
        warmup_steps=cfg["warmup_ratio"],
        lr_scheduler_type=cfg["lr_scheduler"],
        eval_strategy=cfg["eval_strategy"],
        eval_steps=cfg.get("eval_steps"),
        save_strategy=cfg["eval_strategy"],
        save_steps=cfg.get("eval_steps"),
        save_total_limit=cfg["save_total_limit"],
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        logging_steps=cfg["logging_steps"],
        train_sampling_strategy="group_by_length" if cfg["group_by_length"] else "random",
        length_column_name="length",
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        seed=seed,
        data_seed=seed,
        report_to="none",
        dataloader_num_workers=cfg["dataloader_workers"],
        disable_tqdm=not cfg["progress_bar"],
        use_cpu=not cfg["use_cuda"],
    )
    all_callbacks = list(callbacks)
    if cfg["early_stopping_patience"]:
        all_callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg["early_stopping_patience"]))
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
        compute_metrics=macro_f1_metrics,
        callbacks=all_callbacks,
        label_weights=label_weights,
    )
