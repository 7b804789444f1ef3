"""ONNX export: fp32 with dynamic batch and sequence axes (int8 is made from it by ``export.quantize``).

Uses the dynamo exporter: design.md measured that the old TorchScript exporter
(``dynamo=False``) silently gives wrong logits on shapes other than the dummy
input's with transformers 5.x. torch and onnx are imported here only, so the
runtime never needs them.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from claimnet.exporters.last_layer import last_layer_on_first_token
from claimnet.runtime.backends import ONNX_FILES, model_inputs

FP32_FILE = ONNX_FILES["fp32"]


def _logits_only(model, names: tuple[str, ...]):
    """Wrap a sequence classifier so the graph has the named inputs and one ``logits`` output."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {"token_type_ids": token_type_ids} if "token_type_ids" in names else {}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra).logits

    return LogitsOnly(model).eval()


@contextmanager
def quiet_exporter():
    """The exporter's notices that say nothing about this model: torchvision's ops it skips (not installed, not
    used), a deprecation inside torch's own pytree code, and axis names it merges (batch and seq stay dynamic)."""
    import logging
    import warnings

    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                                    category=FutureWarning)
            warnings.filterwarnings("ignore", message=r"# The axis name: .* will not be used", category=UserWarning)
            yield
    finally:
        registration.setLevel(level)


def export_onnx(model, export_dir: str | Path, opset: int = 18) -> Path:
    """Write ``onnx/model.onnx`` for a HF sequence classifier (self-contained below 1.8 GB of weights)."""
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter needs it)
        import torch
        from torch.export import Dim
    except ImportError as exc:
        raise ImportError(f"ONNX export needs claimnet[train] (torch, onnx, onnxscript): {exc}") from None

    export_dir = Path(export_dir)
    target = export_dir / FP32_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model = model.float().eval().cpu()
    names = model_inputs(model)
    wrapped = _logits_only(model, names)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 2000, (2, 11), generator=generator)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)}
    inputs = {name: inputs[name] for name in names}
    batch, seq = Dim("batch"), Dim("seq")
    # Past protobuf's 2 GB limit the weights go beside the graph (onnx/model.onnx.data), checksummed like the rest.
    large = sum(p.numel() * p.element_size() for p in model.parameters()) > 1_800_000_000
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model.onnx"
        with torch.no_grad(), last_layer_on_first_token(model), quiet_exporter():  # [CLS] alone in the last layer
            torch.onnx.export(
                wrapped, (), str(staged), kwargs=inputs,
                input_names=list(names), output_names=["logits"],
                dynamic_shapes={name: {0: batch, 1: seq} for name in names},
                dynamo=True, external_data=large, opset_version=opset, verbose=False,
            )
        for produced in sorted(Path(tmp).iterdir()):  # the graph, and its data file when large
            shutil.move(str(produced), target.parent / produced.name)
    if was_training:
        model.train()
    return target

