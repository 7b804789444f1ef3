"""Per-label loss weights (``trainer.class_weights``): rare labels such as hedge count more."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from claimnet.errors import ConfigError
from claimnet.labels import LabelSet

CLASS_WEIGHT_SCHEMES = ("none", "balanced", "sqrt")


def check_class_weights(scheme: Any, labels: LabelSet) -> None:
    """Reject a scheme name or mapping that cannot be turned into weights (before any work)."""
    if isinstance(scheme, Mapping):
        missing = [name for name in labels if name not in scheme]
        extra = [k for k in scheme if k not in labels]
        if missing or extra:
            raise ConfigError(
                f"trainer.class_weights as a mapping needs one weight per label {list(labels)}; "
                f"missing {missing}, unknown {extra}."
            )
        bad = {k: v for k, v in scheme.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0}
        if bad:
            raise ConfigError(f"trainer.class_weights must map each label to a number >= 0. Got {bad!r} instead.")
        return
    if scheme not in CLASS_WEIGHT_SCHEMES:
        raise ConfigError(
            f"trainer.class_weights must be one of {list(CLASS_WEIGHT_SCHEMES)} or a mapping "
            f"label -> weight. Got {scheme!r} instead."
        )


def class_weights(counts: Mapping[str, int], labels: LabelSet, scheme: str | Mapping[str, float]) -> list[float] | None:
    """Loss weights in label order: ``balanced`` = N / (K * n_c), ``sqrt`` = its square root."""
    check_class_weights(scheme, labels)
    if isinstance(scheme, Mapping):
        return [float(scheme[name]) for name in labels]
    if scheme == "none":
        return None
    total = sum(counts.get(name, 0) for name in labels)
    weights = []
    for name in labels:
        n = counts.get(name, 0)
        w = total / (len(labels) * n) if n else 1.0
        weights.append(math.sqrt(w) if scheme == "sqrt" else w)
    return weights
