"""Config checks with one message shape (after scikit-learn's parameter validation):

    "trainer.precision must be one of ['auto', 'bf16', 'fp16', 'fp32']. Got 'fp8' instead."

The allowed values and ranges are the schema's (:mod:`claimnet.config.schema`);
:func:`check_config` applies all of them to a composed job, and
:func:`check_overrides` refuses an unknown key before Hydra composes anything,
with the nearest known name.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from claimnet.config.schema import dataclass_of, field_at, field_type, is_free_form, names_under
from claimnet.errors import ConfigError

# Keys that were renamed, moved or retired: the old name points at what to use now.
MOVED: dict[str, str] = {
    "model.kind": "nothing: the article model's training was retired in round 3 (its exports still load); "
                  "every model trains as a sentence classifier",
    "model.article": "nothing: the article model's training was retired in round 3 (its exports still load)",
    "export.int8_min_agreement": "export.int8_max_f1_drop (default 0.005): int8 is judged on dev macro-F1 now; "
                                 "agreement with fp32 is reported, not gated",
}


@cache
def training_argument_names() -> frozenset[str]:
    """The arguments of ``transformers.TrainingArguments`` (what ``trainer.training_arguments`` may hold)."""
    from transformers import TrainingArguments

    return frozenset(f.name for f in dataclasses.fields(TrainingArguments) if f.init)


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


def check_number(cfg: Mapping[str, Any], key: str, low: float | None = None, high: float | None = None,
                 integer: bool = False, allow_none: bool = False, low_open: bool = False) -> Any:
    return check_value(key, get(cfg, key), low=low, high=high, integer=integer, allow_none=allow_none,
                       low_open=low_open)


def check_value(key: str, value: Any, *, low: float | None = None, high: float | None = None, integer: bool = False,
                allow_none: bool = False, low_open: bool = False) -> Any:
    """A number in its range (the message names the key, the range and what was received)."""
    if value is None and allow_none:
        return value
    kind = "an int" if integer else "a number"
    left = "(" if low_open else "["
    bounds = f" in the range {left}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
    ok = (isinstance(value, int) if integer else isinstance(value, (int, float))) and not isinstance(value, bool)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        none = " or null" if allow_none else ""
        shown = int(value) if isinstance(value, float) and value.is_integer() else value  # 0, not 0.0, as typed
        raise ConfigError(f"{key} must be {kind}{bounds}{none}. Got {shown!r} instead.")
    return value


def _optional(f: dataclasses.Field) -> bool:
    """The field may be null: its annotation is ``Optional[...]``."""
    return type(None) in getattr(field_type(f), "__args__", ()) or f.default is None


def check_config(cfg: Mapping[str, Any], schema: type, prefix: str = "") -> None:
    """Every value of a composed job within the allowed values and ranges its schema declares."""
    for f in dataclasses.fields(schema):
        if f.name not in cfg:
            continue
        key, value = prefix + f.name, cfg[f.name]
        inner = dataclass_of(f)
        if inner is not None:
            if value is not None:
                check_config(value, inner, key + ".")
            continue
        meta = f.metadata
        if meta.get("choices") is not None and value not in list(meta["choices"]):
            raise ConfigError(f"{key} must be one of {list(meta['choices'])}. Got {value!r} instead.")
        if meta.get("low") is not None or meta.get("high") is not None:
            check_value(key, value, low=meta.get("low"), high=meta.get("high"), low_open=meta.get("low_open", False),
                        integer=int in (field_type(f), *getattr(field_type(f), "__args__", ())),
                        allow_none=_optional(f))


def _near(name: str, known: Iterable[str]) -> str | None:
    known = list(known)
    leaf = name.rsplit(".", 1)[-1]
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if not near:  # the same leaf under another group, or a close leaf in the same group
        parent = name.rpartition(".")[0]
        near = [k for k in known if k.rsplit(".", 1)[-1] == leaf] or difflib.get_close_matches(
            name, [k for k in known if k.rpartition(".")[0] == parent], n=1, cutoff=0.6)
    return near[0] if near else None


def unknown_key_message(key: str, schema: type) -> str:
    """Why ``key`` is refused: a moved key's new name, a TrainingArguments argument, or the nearest setting."""
    moved = next((old for old in MOVED if key == old or key.startswith(old + ".")), None)
    if moved:
        return f"{key} is no longer a setting: use {MOVED[moved]}."
    parent, _, leaf = key.rpartition(".")
    if parent == "trainer":
        if leaf in training_argument_names():
            return (f"trainer.{leaf} is a transformers.TrainingArguments argument claimnet does not set: pass it as "
                    f"+trainer.training_arguments.{leaf}=...")
    near = _near(key, names_under(schema))
    hint = f" Did you mean {near}?" if near else ""
    return f"{key} is not a claimnet setting.{hint} `claimnet {schema.__name__[:-3].lower()} --help` lists them."


def check_key(key: str, schema: type) -> None:
    """A dotted key names a setting of the job (or a key inside a free-form mapping), else :class:`ConfigError`."""
    if key.split(".")[0] == "hydra":
        return
    parts = key.split(".")
    for depth in range(1, len(parts) + 1):
        f = field_at(schema, ".".join(parts[:depth]))
        if f is None:
            raise ConfigError(unknown_key_message(key, schema))
        if is_free_form(f) or (dataclass_of(f) is None and depth < len(parts)):
            return  # inside a mapping the user fills (gates.per_label.X, trainer.training_arguments.X)


def check_value_type(key: str, value: Any, schema: type) -> None:
    """A value the key's field cannot hold (``trainer.learning_rate=abc``) is refused, naming the type."""
    from omegaconf import OmegaConf
    from omegaconf.errors import ValidationError

    parent, _, leaf = key.rpartition(".")
    owner = dataclass_of(field_at(schema, parent)) if parent else schema
    if owner is None or isinstance(value, (dict, list)) or leaf not in {f.name for f in dataclasses.fields(owner)}:
        return
    node = OmegaConf.structured(owner)
    try:
        setattr(node, leaf, value)
    except ValidationError:
        hint = str(field_at(schema, key).type).replace("typing.", "")
        raise ConfigError(f"{key} must be of type {hint}. Got {value!r} instead.") from None


def check_overrides(overrides: Sequence[str], schema: type, groups: Mapping[str, Sequence[str]]) -> None:
    """Refuse, before Hydra composes anything, an override of a key the job does not have (with or without
    ``+``), a value of the wrong type, and a group option that does not exist; ``groups`` maps each config
    group to its options."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception as exc:  # noqa: BLE001  (Hydra's grammar errors are usage errors)
        raise ConfigError(str(exc).splitlines()[0]) from None
    for override in parsed:
        key = override.key_or_group
        if key.startswith("hydra") or override.is_delete():
            continue
        if key in groups or key.split("/")[0] in groups:
            value = override.value()
            options = groups.get(key)
            if options is not None and isinstance(value, str) and value not in options and not value.endswith(".yaml"):
                near = difflib.get_close_matches(value, options, n=1)
                hint = f" Did you mean {key}={near[0]}?" if near else ""
                raise ConfigError(f"{key}={value}: no such option; {key} is one of {sorted(options)}.{hint}")
            continue
        check_key(key, schema)
        if not override.is_sweep_override():
            check_value_type(key, override.value(), schema)
