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


def validate_train_config(cfg: Mapping[str, Any]) -> None:
    """Reject out-of-range values before any data or model is loaded."""
    from claimnet.backends import BACKENDS, RUNTIME_PRECISIONS
    from claimnet.precision import PRECISIONS
    from claimnet.training import CLASS_WEIGHT_SCHEMES

    check_number(cfg, "seed", 0, integer=True)
    check_number(cfg, "model.context_window", 0, 20, integer=True)
    check_number(cfg, "model.max_length", 8, 512, integer=True)
    check_number(cfg, "trainer.epochs", 0, low_open=True)
    check_number(cfg, "trainer.max_steps", -1, integer=True)
    check_number(cfg, "trainer.batch_size", 1, integer=True)
    check_number(cfg, "trainer.eval_batch_size", 1, integer=True)
    check_number(cfg, "trainer.gradient_accumulation_steps", 1, integer=True)
    check_number(cfg, "trainer.learning_rate", 0, 1, low_open=True)
    check_number(cfg, "trainer.weight_decay", 0, 1)
    check_number(cfg, "trainer.warmup_ratio", 0, 1)
    check_number(cfg, "trainer.early_stopping_patience", 0, integer=True)
    check_number(cfg, "trainer.save_total_limit", 1, integer=True)
    check_number(cfg, "trainer.num_threads", 1, integer=True, allow_none=True)
    check_number(cfg, "data.limit_articles", 1, integer=True, allow_none=True)
    check_number(cfg, "evaluation.bootstrap_resamples", 0, integer=True)
    check_choice(cfg, "trainer.precision", PRECISIONS)
    check_choice(cfg, "trainer.eval_strategy", ["epoch", "steps"])
    check_choice(cfg, "trainer.use_cuda", ["auto", True, False])
    check_choice(cfg, "trainer.resume", [True, False])
    check_choice(cfg, "evaluation.backend", BACKENDS)
    check_choice(cfg, "evaluation.precision", RUNTIME_PRECISIONS)
    if get(cfg, "trainer.eval_strategy") == "steps":
        check_number(cfg, "trainer.eval_steps", 1, integer=True)
    weights = get(cfg, "trainer.class_weights")
    if not isinstance(weights, Mapping) and weights not in CLASS_WEIGHT_SCHEMES:
        raise ConfigError(
            f"trainer.class_weights must be one of {list(CLASS_WEIGHT_SCHEMES)} or a mapping "
            f"label -> weight. Got {weights!r} instead."
        )
