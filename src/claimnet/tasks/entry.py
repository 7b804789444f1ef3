"""What every script shares: resolvers, the run folder, and the exit-code contract.

Exit codes (design.md): 0 done; 1 a check the user asked for failed (an
evaluation gate); 2 anything the user must fix, with a short message and no traceback (``HYDRA_FULL_ERROR=1``
shows one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from claimnet.bundled import config_dir as bundled_config_dir
from claimnet.bundled import corpus_dir
from claimnet.errors import ClaimnetError, ConfigError
from claimnet.training.device import keep_onednn_primitives
from claimnet.training.distributed import on_main
from claimnet.training.runs import run_dir_for

for _name, _resolver in (("claimnet_run_dir", run_dir_for),
                         ("claimnet_on_main", on_main),
                         ("claimnet_config_dir", lambda: str(bundled_config_dir())),
                         ("claimnet_corpus_dir", lambda: str(corpus_dir()))):
    if not OmegaConf.has_resolver(_name):
        OmegaConf.register_new_resolver(_name, _resolver)


keep_onednn_primitives()  # before any torch op of the script's process (oneDNN reads it once)

_outcome: dict[str, int] = {}


def run_dir_of(cfg) -> Path:
    """The run folder: ``run_dir`` when set, else the folder Hydra made for this run."""
    if cfg.get("run_dir"):
        return Path(cfg.run_dir)
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def job_dir(cfg, key: str) -> Path:
    """The folder Hydra made for this job (so a ``${now:...}`` in ``key`` is not resolved a second time)."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        found = OmegaConf.select(HydraConfig.get(), "runtime.output_dir")
        if found:
            return Path(found)
    return Path(cfg[key])


def remove_if_untouched(cfg) -> None:
    """After a job failed before its work began, remove the folder Hydra made for it.

    Only a folder inside ``paths.output_dir`` holding nothing but Hydra's ``.hydra/``
    and log files is removed; nothing a user named elsewhere is touched.
    """
    import shutil

    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    folder = Path(OmegaConf.select(HydraConfig.get(), "runtime.output_dir") or "").resolve()
    root = Path(str(OmegaConf.select(cfg, "paths.output_dir") or "")).resolve()
    if not folder.is_dir() or folder == root or root not in folder.parents or folder in Path.cwd().parents:
        return
    files = [p for p in folder.rglob("*") if p.is_file()]
    if all(".hydra" in p.relative_to(folder).parts or p.suffix == ".log" for p in files):
        shutil.rmtree(folder, ignore_errors=True)
        for parent in folder.parents:  # e.g. outputs/runs/, when this run made it
            if parent == root or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()


def check_appended_keys(cfg) -> None:
    """``+group.key=value`` may add only what claimnet reads: a typo is an error with the nearest known key.

    Hydra refuses an unknown key without ``+`` and suggests adding it with ``+``;
    a run must not then train silently with the key ignored. ``+trainer.X`` is
    checked against ``TrainingArguments`` by the train task itself.
    """
    import difflib

    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    for override in OmegaConf.select(HydraConfig.get(), "overrides.task") or []:
        if not override.startswith("+") or override.startswith("++"):
            continue
        key = override[1:].split("=", 1)[0]
        parent, _, leaf = key.rpartition(".")
        if parent == "trainer" or "/" in key or key.startswith("hydra"):
            continue  # TrainingArguments pass-through, or a group added with +group=option
        node = OmegaConf.select(cfg, parent) if parent else cfg
        siblings = [k for k in node if k != leaf] if OmegaConf.is_dict(node) else []
        near = difflib.get_close_matches(leaf, siblings, n=1, cutoff=0.6)
        hint = f" Did you mean {parent + '.' if parent else ''}{near[0]}?" if near else ""
        raise ConfigError(f"{key} is not a claimnet setting, so `+{key}=...` would be ignored.{hint}")


def run(task: Callable[..., Any], cfg) -> Any:
    """Run a task; a user-fixable error becomes a message on stderr and exit code 2.

    A job with an ``optimized_metric`` (training) returns that figure, what Hydra's
    sweepers maximise; a failed job returns ``None``, which the sweep records as a failed trial.
    """
    from claimnet.tasks.sweep import optimized_value

    metric = cfg.get("optimized_metric")
    _outcome.pop("error", None)
    try:
        check_appended_keys(cfg)
        result = task(cfg)
    except (ClaimnetError, OmegaConfBaseException) as exc:
        if getattr(exc, "exit_code", 2) == 2:  # a gate failure (1) keeps its report
            remove_if_untouched(cfg)
        return _report(exc)
    _outcome["code"] = 0
    return optimized_value(result, metric) if metric else result


def last_error() -> str | None:
    """The message of the error that ended the last job in this process (for a sweep's record)."""
    return _outcome.get("error")


def _report(exc: Exception) -> None:
    """Print a user-fixable error as one line and record its exit code."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1" and getattr(exc, "exit_code", 2) == 2:
        raise exc
    _outcome["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, ClaimnetError):
        print(str(exc) if exc.exit_code == 1 else f"error: {exc}", file=sys.stderr)
        _outcome["code"] = exc.exit_code
        return None
    # an OmegaConf error, e.g. a mandatory value (???) left unset: a usage error, not a bug
    msg = str(exc).splitlines()[0]
    print(f"error: {msg}. Set it on the command line, e.g. `key=value`.", file=sys.stderr)
    _outcome["code"] = 2
    return None


def _folder_under_a_file(argv: Sequence[str]) -> str | None:
    """A folder override (``output_dir=``, ``run_dir=``, ...) that cannot be made because a file is in the way."""
    for arg in argv:
        key, sep, value = arg.lstrip("+").partition("=")
        if not sep or not value or not key.endswith("_dir"):
            continue
        for ancestor in [Path(value), *Path(value).parents]:
            if ancestor.exists():
                if not ancestor.is_dir():
                    return f"{key}={value}: {ancestor} is a file, so the folder cannot be made there"
                break
    return None


def exit_code(main: Callable[[], Any], config_name: str | None = None) -> int:
    """Call a ``@hydra.main`` function and return the task's exit code.

    Hydra exits 1 on a bad override or an unknown config option before the task
    runs; that is a usage error, so it becomes 2. ``--help`` prints every key of
    the job with its default and description (:mod:`claimnet.tasks.help`).
    """
    _outcome.clear()
    bad = _folder_under_a_file(sys.argv[1:])
    if bad:
        print(f"error: {bad}", file=sys.stderr)
        return 2
    if config_name and any(a in ("--help", "-h") for a in sys.argv[1:]):
        from claimnet.tasks.help import describe

        print(describe(config_name, Path(sys.argv[0]).name if sys.argv[0].endswith(".py") else sys.argv[0]), end="")
        return 0
    try:
        main()
    except SystemExit as exc:
        if "code" not in _outcome:
            return 0 if exc.code in (0, None) else 2
        return _outcome["code"]
    return _outcome.get("code", 0)


def exit_with(main: Callable[[], Any], config_name: str | None = None) -> None:
    """``sys.exit`` with :func:`exit_code` (what the thin scripts call)."""
    sys.exit(exit_code(main, config_name))


def compose_job(config_name: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None,
                keep_hydra: bool = False, resolve_outputs: bool = True):
    """A job's config composed as the scripts would (for the Python API and ``--help``).

    ``hydra.run.dir`` is resolved into the job's own output keys; ``keep_hydra``
    keeps the ``hydra`` node (its ``runtime.choices`` name the chosen group options).
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf, open_dict

    if isinstance(overrides, str):
        raise TypeError("overrides must be a list of 'key=value' strings, not one string")
    extra = [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir else []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(bundled_config_dir()), version_base="1.3"):
            cfg = hydra_compose(config_name, [*overrides, *extra], return_hydra_config=True)
    except Exception as exc:  # Hydra's override and missing-config errors are usage errors
        if type(exc).__module__.startswith(("hydra", "omegaconf")):
            raise ConfigError(str(exc).splitlines()[0]) from None
        raise
    HydraConfig.instance().set_config(cfg)
    run_dir = str(OmegaConf.select(cfg, "hydra.run.dir")) if resolve_outputs else None
    with open_dict(cfg):
        if resolve_outputs and config_name == "train" and not cfg.get("run_dir"):
            cfg.run_dir = run_dir
        if resolve_outputs and config_name == "evaluate" and OmegaConf.is_interpolation(cfg, "output_dir"):
            cfg.output_dir = run_dir
        if not keep_hydra:
            del cfg["hydra"]
    return cfg


def hydra_job(task: Callable[..., Any], config_name: str, argv: list[str], prog: str) -> int:
    """Run a task under ``@hydra.main`` with the bundled configs and ``argv`` as its command line.

    What ``claimnet train|evaluate|export|bench`` call: the same overrides, ``--help``,
    ``--cfg job``, ``-m`` and ``--config-dir`` as the scripts.
    """
    import hydra

    @hydra.main(version_base="1.3", config_path=str(bundled_config_dir()), config_name=config_name)
    def main(cfg):
        return run(task, cfg)

    saved = sys.argv
    sys.argv = [prog, *argv]
    try:
        return exit_code(main, config_name)
    finally:
        sys.argv = saved
