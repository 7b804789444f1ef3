"""The run folder: one folder per training run (design.md, One run, one folder).

    RUN/config.yaml        resolved config        RUN/checkpoints/  Trainer checkpoints
    RUN/versions.json      packages and machine   RUN/tensorboard/  event files
    RUN/train.log          the run's log          RUN/eval/{dev,test}/metrics.json
    RUN/summary.json       time and headline      RUN/export/       the exported model

``outputs/latest`` points at the newest run, set when a run starts so that an
interrupted run is the one ``trainer.resume=true`` continues.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import cache
from pathlib import Path


@cache
def run_dir_for(output_dir: str, run_dir: str | None, resume: bool) -> str:
    """Where a training run writes: the given folder, the latest run (when resuming), or a new one."""
    if run_dir not in (None, "", "None", "null"):
        return str(run_dir)
    latest = Path(output_dir) / "latest"
    if str(resume).lower() == "true" and latest.exists():
        return str(latest.resolve())
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    return str(Path(output_dir) / "runs" / stamp)


def point_latest(output_dir: str | Path, run_dir: str | Path) -> None:
    """Make ``OUTPUT/latest`` a relative symlink to ``run_dir`` (replaced atomically)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = os.path.relpath(Path(run_dir).resolve(), output_dir.resolve())
    tmp = output_dir / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, output_dir / "latest")
