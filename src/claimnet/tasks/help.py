"""``claimnet JOB --help [KEY]``: every setting of the job with its default and meaning, from the schema.

The descriptions are the schema fields' own ``help`` (:mod:`claimnet.config.schema`),
the values the composed defaults of this job, so help and behaviour cannot disagree.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from omegaconf import OmegaConf

from claimnet.bundled import config_dir
from claimnet.config.schema import JOB_SCHEMAS, dataclass_of, field_at
from claimnet.tasks.registry import Job


def _composed(cfg):
    """The chosen group options, and the job's settings as plain values (interpolations kept)."""
    choices = {k: v for k, v in OmegaConf.to_container(cfg.hydra.runtime.choices).items()
               if not k.startswith("hydra/") and not k.endswith("_schema")}
    values = OmegaConf.to_container(cfg, resolve=False)
    values.pop("hydra", None)
    return choices, values


def _flatten(node: dict[str, Any], schema: type, prefix: str = ""):
    """(dotted key, value, field) for every setting; nested groups flattened, free-form mappings kept whole."""
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        f = field_at(schema, dotted)
        if isinstance(value, dict) and f is not None and dataclass_of(f) is not None:
            yield from _flatten(value, schema, dotted + ".")
        else:
            yield dotted, value, f


def _allowed(f: dataclasses.Field | None) -> str:
    if f is None:
        return ""
    meta = f.metadata
    if meta.get("choices") is not None:
        return "one of " + " | ".join("null" if c is None else str(c).lower() if isinstance(c, bool) else str(c)
                                      for c in meta["choices"])
    low, high = meta.get("low"), meta.get("high")
    if low is None and high is None:
        return ""
    left = "(" if meta.get("low_open") else "["
    return f"in {left}{'-inf' if low is None else low}, {'inf' if high is None else high}]"


def describe(job: Job, cfg, prog: str, topic: str | None = None) -> str:
    """The help text of one job, or of one key or group of it (``--help trainer.learning_rate``).

    ``cfg`` is the job's default config, composed with its ``hydra`` node.
    """
    schema = JOB_SCHEMAS[job.config_name]
    choices, values = _composed(cfg)
    settings = list(_flatten(values, schema))
    if topic:
        chosen = [(k, v, f) for k, v, f in settings if k == topic or k.startswith(topic + ".")]
        if not chosen:
            from claimnet.config.checks import unknown_key_message

            return unknown_key_message(topic, schema) + "\n"
        lines = []
        for key, value, f in chosen:
            lines += [f"{key} = {value}", f"  {f.metadata.get('help', '') if f else ''}".rstrip()]
            if _allowed(f):
                lines.append(f"  {_allowed(f)}")
            lines.append(f"  type: {getattr(f.type, '__name__', f.type) if f else 'any'}")
        return "\n".join(lines) + "\n"
    root = config_dir()
    lines = [f"{prog}: {job.summary}.", "",
             f"Usage: {prog} [group=option ...] [key=value ...]",
             "  --help KEY         one key or group: its meaning, default and allowed values",
             "  --cfg job          print the composed config and exit",
             "  -m                 multirun (sweeps: a=1,2 b=x,y)",
             "  --config-dir DIR   your own configs, searched before claimnet's",
             "  --hydra-help       Hydra's own options", ""]
    if choices:
        lines.append("Config groups (group=option; * marks the default):")
        for group, option in sorted(choices.items()):
            options = sorted(p.stem for p in (root / group).glob("*.yaml"))
            lines.append(f"  {group:<12} " + ", ".join(o + ("*" if o == option else "") for o in options))
        lines.append("")
    lines.append("Keys (key=value), with their defaults:")
    for key, value, f in settings:
        text = str(value)
        shown = f"{key} = {text if len(text) <= 48 else text[:45] + '...'}"
        doc = " ".join(x for x in (f.metadata.get("help", "") if f else "", f"({_allowed(f)})" if _allowed(f) else "")
                       if x)
        lines.append(f"  {shown:<58} {doc}".rstrip())
    return "\n".join(lines) + "\n"


def completion_words(job: Job, cfg) -> list[str]:
    """What a shell may complete after ``claimnet <job>``: ``group=option`` and ``key=``."""
    schema = JOB_SCHEMAS[job.config_name]
    choices, values = _composed(cfg)
    root = config_dir()
    words = [f"{group}={p.stem}" for group in choices for p in sorted((root / group).glob("*.yaml"))]
    return words + [f"{key}=" for key, _, _ in _flatten(values, schema)] + ["--cfg", "--config-dir", "--help", "-m"]
