"""The encoder's last layer for the first token only: the one position a BERT classifier reads.

``BertForSequenceClassification`` pools the ``[CLS]`` position of the last
layer and nothing else, yet that layer computes every token: its query and
output projections and its feed-forward block (~83% of the layer, ~14% of
MiniLM's weight products) for positions no loss ever sees. Here the last layer
takes keys and values from every token and computes the rest for ``[CLS]``
alone: the same logits and gradients, for less work, in training (``tasks.train``)
and in the exported ONNX graph (``export.onnx``). The layer's forward is
swapped on the instance, so the module tree and state dict stay as they were;
other architectures (and the article model, which mean-pools every token) are
left alone.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Any


def _first_token_forward(layer, hidden_states, attention_mask=None, *args: Any, **kwargs: Any):
    """``BertLayer.forward`` computing the output of position 0 only (shape (batch, 1, hidden))."""
    from transformers.models.bert.modeling_bert import ALL_ATTENTION_FUNCTIONS, eager_attention_forward

    attention = layer.attention.self
    batch, tokens = hidden_states.shape[:2]
    first = hidden_states[:, :1]
    heads = (-1, attention.attention_head_size)
    query = attention.query(first).view(batch, 1, *heads).transpose(1, 2)
    key = attention.key(hidden_states).view(batch, tokens, *heads).transpose(1, 2)
    value = attention.value(hidden_states).view(batch, tokens, *heads).transpose(1, 2)
    if attention_mask is not None and attention_mask.dim() == 4:
        attention_mask = attention_mask[:, :, :1, :]
    interface = ALL_ATTENTION_FUNCTIONS.get_interface(attention.config._attn_implementation,
                                                      eager_attention_forward)
    context, _ = interface(attention, query, key, value, attention_mask,
                           dropout=attention.dropout.p if attention.training else 0.0, scaling=attention.scaling)
    attention_output = layer.attention.output(context.reshape(batch, 1, -1), first)
    return layer.feed_forward_chunk(attention_output)


def first_token_only(model) -> Any | None:
    """The last ``BertLayer`` of a BERT sequence classifier that pools ``[CLS]``; None for anything else."""
    from transformers import BertForSequenceClassification
    from transformers.models.bert.modeling_bert import BertLayer

    if type(model) is not BertForSequenceClassification or model.bert.pooler is None:
        return None
    config = model.config
    if config.is_decoder or config.add_cross_attention or config.chunk_size_feed_forward:
        return None
    layer = model.bert.encoder.layer[-1]
    return layer if type(layer) is BertLayer else None


@contextlib.contextmanager
def last_layer_on_first_token(model) -> Iterator[bool]:
    """While inside, ``model``'s last layer computes ``[CLS]`` alone (yields whether it applies)."""
    layer = first_token_only(model)
    if layer is None:
        yield False
        return
    layer.forward = types.MethodType(_first_token_forward, layer)
    try:
        yield True
    finally:
        del layer.forward
