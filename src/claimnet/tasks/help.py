"""``--help`` for the jobs: every key of the groups that apply, its default and what it means.

The descriptions are the config files' own comments (``key: value  # what it
is``, or comment lines above a key), so the help and the configs never
disagree; the values are the composed defaults of this job.
"""

from __future__ import annotations

import re
from pathlib import Path

from omegaconf import OmegaConf

from claimnet.bundled import config_dir

SUMMARY = {
    "train": "fine-tune on annotated articles, export the model, evaluate the export on dev and test",
    "evaluate": "score an export on annotated JSONL: reports for people, metrics.json and gates for CI",
    "export": "re-export a run's best checkpoint with this call's export and evaluation settings",
    "benchmark": "time claimnet against the standard Hugging Face recipe and transformers.pipeline",
}
_KEY = re.compile(r"^(\s*)([A-Za-z_][\w]*):(.*)$")


def yaml_comments(path: Path, prefix: str = "") -> dict[str, str]:
    """Dotted key -> its comment in one config file."""
    docs: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    pending: list[str] = []
    header = True  # comment lines before the first key describe the file, not that key
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            pending = []
            continue
        if stripped.startswith("#"):
            if "@package" not in stripped:
                pending.append(stripped.lstrip("# ").strip())
            continue
        match = _KEY.match(line)
        if not match:
            pending = [] if not stripped.startswith("-") else pending
            continue
        indent, key, rest = len(match.group(1)), match.group(2), match.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [key])
        comment = rest.split(" #", 1)[1].strip() if " #" in rest else ""
        if header:
            header, pending = False, []
        if dotted.split(".")[0] not in ("defaults", "hydra") and (comment or pending):
            docs[prefix + dotted] = comment or " ".join(pending)
        pending = []
        if not rest.split(" #", 1)[0].strip():
            stack.append((indent, key))
    return docs


def describe(config_name: str, prog: str) -> str:
    """The help text of one job."""
    from claimnet.tasks.entry import compose_job

    cfg = compose_job(config_name, [], keep_hydra=True, resolve_outputs=False)
    choices = {k: v for k, v in OmegaConf.to_container(cfg.hydra.runtime.choices).items()
               if not k.startswith("hydra/")}
    root = config_dir()
    docs = yaml_comments(root / f"{config_name}.yaml")
    if config_name == "benchmark":
        docs = {**yaml_comments(root / "train.yaml"), **docs}
    for group, option in choices.items():
        if option and (root / group / f"{option}.yaml").is_file():
            for base in sorted((root / group / "base").glob("*.yaml")):
                docs.update(yaml_comments(base, f"{group}."))
            docs.update(yaml_comments(root / group / f"{option}.yaml", f"{group}."))
    lines = [f"{prog}: {SUMMARY.get(config_name, '')}.", "",
             f"Usage: {prog} [group=option ...] [key=value ...]",
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
    job = OmegaConf.to_container(cfg, resolve=False)
    job.pop("hydra", None)
    for key, value in _flatten(job):
        doc = docs.get(key, "")
        text = str(value)
        shown = f"{key} = {text if len(text) <= 48 else text[:45] + '...'}"
        lines.append(f"  {shown:<58} {doc}".rstrip() if doc else f"  {shown}")
    return "\n".join(lines) + "\n"


def _flatten(node, prefix: str = ""):
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value and dotted not in ("data.label_descriptions", "quick_overrides"):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def completion_words(config_name: str) -> list[str]:
    """What a shell may complete after ``claimnet <job>``: ``group=option`` and ``key=``."""
    from claimnet.tasks.entry import compose_job

    cfg = compose_job(config_name, [], keep_hydra=True, resolve_outputs=False)
    root = config_dir()
    words = [f"{group}={p.stem}" for group in OmegaConf.to_container(cfg.hydra.runtime.choices)
             if not group.startswith("hydra/") for p in sorted((root / group).glob("*.yaml"))]
    job = OmegaConf.to_container(cfg, resolve=False)
    job.pop("hydra", None)
    return words + [f"{key}=" for key, _ in _flatten(job)] + ["--cfg", "--config-dir", "--help", "-m"]
