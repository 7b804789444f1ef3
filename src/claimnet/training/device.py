"""Where and in what precision a run trains (``trainer.use_cuda``, ``trainer.precision``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from claimnet.errors import ConfigError
from claimnet.runtime.environment import resolve_precision

ONEDNN_PRIMITIVE_CACHE = 8192  # kernels oneDNN keeps (its default: 1,024)


def keep_onednn_primitives() -> None:
    """Give oneDNN room to keep every kernel a CPU run builds, unless the user sized its cache.

    Dynamic padding gives batches many sequence lengths, and oneDNN builds a set
    of kernels for each (23 for a bf16 MiniLM step); its default cache of 1,024
    evicted them within an epoch, so they were built again and again (3,646 builds
    in two passes over 100 real batch shapes, against 1,308 with room). oneDNN reads
    the setting once, at its first use in the process: the scripts call this before
    anything else runs, and ``fit`` calls it for callers who train from Python.
    """
    if not any(k in os.environ for k in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY")):
        os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = str(ONEDNN_PRIMITIVE_CACHE)


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


@contextlib.contextmanager
def bf16_residual_stream(model) -> Iterator[bool]:
    """While inside, under CPU bf16 autocast, the encoder's embeddings hand bf16 to its layers.

    CPU autocast runs LayerNorm in the dtype of its input. Fed the fp32 embedding
    sum, the whole residual stream (every residual add, LayerNorm and dropout,
    and the activations kept for backward) stays fp32, with a cast before each
    matmul: a tenth of a MiniLM step on this project's CPU. One cast at the
    embeddings keeps the stream in bf16, as Megatron-LM does unless told
    ``--fp32-residual-connection``; matmuls were bf16 already and the weights
    stay fp32 masters. Yields whether a hook was set (an encoder with an
    ``embeddings`` module); on exit the model is as it was.
    """
    import torch

    from claimnet.training.modeling import first_encoder

    embeddings = getattr(getattr(first_encoder(model), "base_model", None), "embeddings", None)
    if not isinstance(embeddings, torch.nn.Module):
        yield False
        return

    def to_bf16(module, args, output):
        if (isinstance(output, torch.Tensor) and output.dtype == torch.float32
                and torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16):
            return output.to(torch.bfloat16)
        return output

    handle = embeddings.register_forward_hook(to_bf16)
    try:
        yield True
    finally:
        handle.remove()
