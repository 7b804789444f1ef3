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


def _job(name: str, config_name: str, overrides: Sequence[str], config_dir) -> Any:
    import claimnet.tasks.entry  # noqa: F401  (registers the resolvers)
    from claimnet.tasks.entry import compose_job

    module, function = _TASKS[name]
    task = getattr(importlib.import_module(module), function)
    return task(compose_job(config_name, overrides, config_dir))


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
