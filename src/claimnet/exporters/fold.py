"""Calibration folded into the classifier head, so every route computes the same calibrated logits.

Temperature scaling and per-label decision biases are an affine change of the
logits: ``logits / T + biases``. The head's last linear layer computes
``x W^T + b``, so ``W' = W / T`` and ``b' = b / T + biases`` give exactly the
calibrated logits. Folded into the weights, the Hugging Face pipeline, a plain
onnxruntime client and every ClaimTagger backend need to know nothing about
calibration (manifest format 3).
"""

from __future__ import annotations

from collections.abc import Sequence


def classifier_layer(model):
    """The head's last linear layer: the one producing ``num_labels`` logits."""
    import torch

    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)
               and m.out_features == model.config.num_labels]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no linear layer with {model.config.num_labels} outputs to fold "
                         "calibration into")
    return linears[-1]


def fold_calibration(model, temperature: float, biases: Sequence[float] | None = None) -> None:
    """Rewrite the head in place so that it outputs ``logits / temperature + biases``."""
    import torch

    layer = classifier_layer(model)
    with torch.no_grad():
        layer.weight.div_(temperature)
        if layer.bias is None:
            layer.bias = torch.nn.Parameter(torch.zeros(layer.out_features, dtype=layer.weight.dtype))
        layer.bias.div_(temperature)
        if biases is not None:
            layer.bias.add_(torch.as_tensor(list(biases), dtype=layer.bias.dtype))
