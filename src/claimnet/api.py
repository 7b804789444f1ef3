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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from claimnet.tasks.registry import JOBS


def _job(name: str, overrides: Sequence[str], config_dir: str | Path | None) -> Any:
    from claimnet.tasks.runner import compose_job

    job = JOBS[name]
    return job.function()(compose_job(job.config_name, overrides, config_dir))


def train(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Fit, export and evaluate, as ``claimnet train ...``; returns run/export folders and metrics."""
    return _job("train", overrides, config_dir)


def distill(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Train (or take, ``teacher.run=...``) a teacher and write its soft labels; returns their provenance."""
    return _job("distill", overrides, config_dir)


def evaluate(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Score an export (``model_path=...``) with reports and gates; returns ``metrics.json``'s content."""
    return _job("evaluate", overrides, config_dir)


def export(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """Re-export a run's best checkpoint (``run_dir=...``)."""
    return _job("export", overrides, config_dir)


def bench(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> dict[str, Any]:
    """How fast an export tags on this host (``model_path=...``); returns the JSON report."""
    return _job("bench", overrides, config_dir)
