"""Evaluation gates for CI: minimum macro-F1, minimum F1 per label, largest allowed drop.

A failed gate makes the evaluate script exit 1 after printing each failure with
its measured and required values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from claimnet.errors import ConfigError


def _per_label(gates: Mapping[str, Any]) -> dict[str, float]:
    return {k: v for k, v in (gates.get("per_label") or {}).items() if v is not None}


def check_gate_values(gates: Mapping[str, Any]) -> None:
    """Every gate is an F1 (or F1 drop) in [0, 1], or null: a gate that can never pass is a usage error."""
    values = {f"gates.{k}": gates.get(k) for k in ("macro_f1", "max_drop")}
    values.update({f"gates.per_label.{k}": v for k, v in _per_label(gates).items()})
    for key, value in values.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= 1):
            shown = int(value) if isinstance(value, float) and value.is_integer() else value
            raise ConfigError(f"{key} must be a number in the range [0, 1] (an F1 score) or null. "
                              f"Got {shown!r} instead.")


def validate_gates(gates: Mapping[str, Any], labels: list[str], has_previous: bool) -> None:
    """Reject gate settings that cannot be checked, before any work is done."""
    check_gate_values(gates)
    unknown = sorted(set(_per_label(gates)) - set(labels))
    if unknown:
        raise ConfigError(f"gates.per_label names unknown label(s) {unknown}; the model's labels are {labels}.")
    if gates.get("max_drop") is not None and not has_previous:
        raise ConfigError("gates.max_drop needs compare_to=PATH/metrics.json (the metrics to compare against).")


def gate_results(
    metrics: Mapping[str, Any], gates: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every gate that is set, passed or not: ``{gate, what, measured, required, passed, message}``."""
    validate_gates(gates, list(metrics["per_label"]), previous is not None)
    results = []
    minimum = gates.get("macro_f1")
    if minimum is not None:
        value = metrics["macro_f1"]
        results.append({"gate": "gates.macro_f1", "what": "macro-F1 at least", "measured": value,
                         "required": minimum, "passed": value >= minimum,
                         "message": f"macro-F1 {value:.4f} < required {minimum}"})
    for label, required in _per_label(gates).items():
        value = metrics["per_label"][label]["f1"]
        results.append({"gate": f"gates.per_label.{label}", "what": f"{label} F1 at least", "measured": value,
                        "required": required, "passed": value >= required,
                        "message": f"{label} F1 {value:.4f} < required {required}"})
    max_drop = gates.get("max_drop")
    if max_drop is not None:
        drop = previous["macro_f1"] - metrics["macro_f1"]
        results.append({"gate": "gates.max_drop", "what": "macro-F1 drop at most", "measured": drop,
                        "required": max_drop, "passed": drop <= max_drop,
                        "message": f"macro-F1 fell {drop:.4f} ({previous['macro_f1']:.4f} -> "
                                   f"{metrics['macro_f1']:.4f}) > allowed {max_drop}"})
    return results


def check_gates(
    metrics: Mapping[str, Any], gates: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> list[str]:
    """Return one line per failed gate (empty when all pass or none is set)."""
    return [f"gate {r['gate']} failed: {r['message']}" for r in gate_results(metrics, gates, previous)
            if not r["passed"]]
