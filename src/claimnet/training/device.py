"""Where and in what precision a run trains (``trainer.use_cuda``, ``trainer.precision``)."""

from __future__ import annotations

from typing import Any

from claimnet.errors import ConfigError
from claimnet.runtime.environment import resolve_precision


def resolve_device(use_cuda: Any, precision: str) -> tuple[bool, str]:
    """``(on_gpu, precision)`` for the config's settings on this machine."""
    import torch

    available = torch.cuda.is_available()
    if use_cuda == "auto":
        on_gpu = available
    elif use_cuda and not available:
        raise ConfigError("trainer.use_cuda is true but torch sees no CUDA device. Use auto or false.")
    else:
        on_gpu = bool(use_cuda)
    resolved = resolve_precision(precision, on_gpu, on_gpu and torch.cuda.is_bf16_supported())
    if resolved == "fp16" and not on_gpu:
        raise ConfigError("trainer.precision=fp16 needs a GPU; on CPU use one of ['auto', 'bf16', 'fp32'].")
    return on_gpu, resolved
