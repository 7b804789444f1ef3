"""Config checks with one message shape (after scikit-learn's parameter validation):

    "trainer.precision must be one of ['auto', 'bf16', 'fp16', 'fp32']. Got 'fp8' instead."

Each check names the dotted key, the allowed values and what was received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from claimnet.errors import ConfigError


def get(cfg: Mapping[str, Any], key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ConfigError(f"{key} is missing from the config.")
        node = node[part]
    return node


def check_choice(cfg: Mapping[str, Any], key: str, allowed: Sequence[Any]) -> Any:
    value = get(cfg, key)
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {list(allowed)}. Got {value!r} instead.")
    return value


def check_number(
    cfg: Mapping[str, Any],
    key: str,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    allow_none: bool = False,
    low_open: bool = False,
) -> Any:
    value = get(cfg, key)
    if value is None and allow_none:
        return value
    kind = "an int" if integer else "a number"
    left = "(" if low_open else "["
    bounds = f" in the range {left}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    ok = ok_type and not isinstance(value, bool)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        none = " or null" if allow_none else ""
        raise ConfigError(f"{key} must be {kind}{bounds}{none}. Got {value!r} instead.")
    return value


def validate_export_config(cfg: Mapping[str, Any]) -> None:
    """The ``export`` and ``evaluation`` groups, as the train and export jobs use them."""
    check_choice(cfg, "export.onnx", [True, False])
    check_choice(cfg, "export.int8", [True, False])
    check_number(cfg, "export.int8_min_agreement", 0, 1)
    check_number(cfg, "export.int8_max_f1_drop", -1, 1, allow_none=True)  # below 0: int8 must beat fp32
    check_number(cfg, "export.opset", 17, 25, integer=True)
    check_choice(cfg, "export.temperature_scaling", [True, False])
    check_choice(cfg, "export.decision_biases", [True, False])
    check_number(cfg, "evaluation.bootstrap_resamples", 0, integer=True)
    check_number(cfg, "evaluation.batch_size", 1, integer=True, allow_none=True)
    check_number(cfg, "evaluation.mistakes_per_label", 0, integer=True)
    check_choice(cfg, "evaluation.baselines", [True, False])
