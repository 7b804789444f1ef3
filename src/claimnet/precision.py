"""Pick the numeric precision from the hardware (``trainer.precision: auto``).

bf16 autocast on CPUs with AMX or AVX-512-BF16 units and on Ampere-or-newer
GPUs, fp16 on older GPUs, fp32 otherwise (design.md measured bf16 at 2.6-3x
the fp32 forward speed on this project's CPUs).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PRECISIONS = ("auto", "bf16", "fp16", "fp32")


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_fast_bf16() -> bool:
    flags = cpu_flags()
    return bool({"amx_bf16", "avx512_bf16"} & flags)


def resolve_precision(requested: str, use_cuda: bool) -> str:
    """Return ``bf16``, ``fp16`` or ``fp32`` for ``requested`` on this machine."""
    if requested != "auto":
        return requested
    if use_cuda:
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_has_fast_bf16() else "fp32"
