"""The jobs claimnet runs, declared once: what the CLI, the Python API, ``--help`` and completion all read.

A job is a Hydra config, a function that takes the composed config and
returns a result (or raises one of claimnet's errors), and a one-line summary.
The function is named, not imported, so reading the table costs nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    """One job: ``claimnet NAME``, ``claimnet.NAME(...)`` and ``scripts/NAME.py`` run it."""

    name: str
    config_name: str
    target: str  # "module:function"
    summary: str

    def function(self) -> Callable[..., Any]:
        """The job's function (imported on first use: training pulls in torch)."""
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("train", "train", "claimnet.tasks.train:train",
        "fine-tune on annotated articles, export the model, evaluate the export on dev and test"),
    Job("distill", "distill", "claimnet.tasks.distill:distill",
        "train a teacher (model=mpnet) or take one (teacher.run=RUN); write its soft labels for train and unlabelled "
        "text"),
    Job("evaluate", "evaluate", "claimnet.tasks.evaluate:evaluate",
        "score an export on annotated JSONL: reports for people, metrics.json and gates for CI"),
    Job("export", "export", "claimnet.tasks.export:export",
        "re-export a run's best checkpoint with this call's export and evaluation settings"),
    Job("bench", "bench", "claimnet.tasks.bench:bench",
        "how fast an export tags on this host: every path against transformers.pipeline and the host's ceiling"),
)}


def job_for_config(config_name: str) -> Job:
    """The job whose Hydra config is ``config_name``."""
    return next(job for job in JOBS.values() if job.config_name == config_name)
