"""The jobs from Python, for notebooks and pipelines: ``claimnet.train(overrides=[...])`` and friends.

The same configs and overrides as the scripts and the ``claimnet`` command
(composed with Hydra's compose API); ``config_dir`` adds a folder of your own
configs in front of the bundled ones. Each returns the task's result (for
``train``: the run folder, the export folder and the dev/test metrics), and
raises claimnet's own errors (:class:`~claimnet.errors.ConfigError`,
:class:`~claimnet.errors.DataError`, :class:`~claimnet.errors.GateFailure`, ...)
instead of exiting.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_TASKS = {"train": ("claimnet.tasks.train", "train"), "evaluate": ("claimnet.tasks.evaluate", "evaluate"),
          "export": ("claimnet.tasks.export", "export"), "benchmark": ("claimnet.tasks.benchmark", "benchmark")}


def compose(config_name: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None):
    """The composed config of a job, with ``hydra.run.dir`` resolved into the job's own output keys."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf, open_dict

    from claimnet.bundled import config_dir as bundled
    from claimnet.errors import ConfigError

    if isinstance(overrides, str):
        raise TypeError("overrides must be a list of 'key=value' strings, not one string")
    extra = [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir else []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(bundled()), version_base="1.3"):
            cfg = hydra_compose(config_name, [*overrides, *extra], return_hydra_config=True)
    except Exception as exc:  # Hydra's override and missing-config errors are usage errors
        if type(exc).__module__.startswith(("hydra", "omegaconf")):
            raise ConfigError(str(exc).splitlines()[0]) from None
        raise
    HydraConfig.instance().set_config(cfg)
    run_dir = str(OmegaConf.select(cfg, "hydra.run.dir"))
    with open_dict(cfg):
        if config_name == "train" and not cfg.get("run_dir"):
            cfg.run_dir = run_dir
        if config_name == "evaluate" and OmegaConf.is_interpolation(cfg, "output_dir"):
            cfg.output_dir = run_dir
        del cfg["hydra"]
    return cfg


def _job(name: str, config_name: str, overrides: Sequence[str], config_dir) -> Any:
    import claimnet.tasks.entry  # noqa: F401  (registers the resolvers)

    module, function = _TASKS[name]
    task = getattr(importlib.import_module(module), function)
    return task(compose(config_name, overrides, config_dir))


def train(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Fit, export and evaluate, as ``make train ARGS="..."``; returns run/export folders and metrics."""
    return _job("train", "train", overrides, config_dir)


def evaluate(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Score an export (``model_path=...``) with reports and gates; returns ``metrics.json``'s content."""
    return _job("evaluate", "evaluate", overrides, config_dir)


def export(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Re-export a run's best checkpoint (``run_dir=...``)."""
    return _job("export", "export", overrides, config_dir)


def benchmark(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """The speed benchmark; returns its JSON report."""
    return _job("benchmark", "benchmark", overrides, config_dir)
