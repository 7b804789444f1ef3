"""The run folder: one folder per training run.

    RUN/config.yaml        resolved config        RUN/checkpoints/  Trainer checkpoints
    RUN/versions.json      packages and machine   RUN/tensorboard/  event files
    RUN/train.log          the run's log          RUN/eval/{dev,test}/metrics.json
    RUN/summary.json       time and headline      RUN/export/       the exported model

``outputs/running`` points at the run in progress (set when it starts), which
``trainer.resume=true`` continues; ``outputs/latest`` points at the last
*finished* run, moved only once its export is complete, so ``claimnet tag`` and
the next run's comparison never meet a half-made run.
"""

from __future__ import annotations

import logging
import os
import secrets
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

from claimnet.training.distributed import shared

log = logging.getLogger(__name__)

LATEST, RUNNING = "latest", "running"
# What a checkpoint folder holds once the Trainer has finished writing it.
CHECKPOINT_FILES = ("trainer_state.json", "optimizer.pt", "scheduler.pt")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


@cache
def run_dir_for(output_dir: str, run_dir: str | None, resume: bool) -> str:
    """Where a training run writes: the given folder, the interrupted run (when resuming), or a new one.

    Under torchrun every rank gets the folder rank 0 chose.
    """
    if run_dir not in (None, "", "None", "null"):
        return str(run_dir)
    if str(resume).lower() == "true":  # only an unfinished run: a finished one (latest) is never trained again
        pointer = Path(output_dir) / RUNNING
        if pointer.exists():
            return str(pointer.resolve())
    # time, then a random suffix: two runs started in the same second by two processes get two folders
    stamp = f"{datetime.now().strftime('%Y-%m-%d_%H-%M-%S')}-{secrets.token_hex(3)}"
    return shared("run_dir", str(Path(output_dir) / "runs" / stamp))  # under torchrun: rank 0's choice


def point(output_dir: str | Path, name: str, run_dir: str | Path) -> None:
    """Make ``OUTPUT/<name>`` a relative symlink to ``run_dir`` (replaced atomically)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = os.path.relpath(Path(run_dir).resolve(), output_dir.resolve())
    tmp = output_dir / f".{name}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, output_dir / name)


def finish(output_dir: str | Path, run_dir: str | Path) -> None:
    """The run's export is complete: ``latest`` moves to it and ``running`` goes (if it is this run)."""
    point(output_dir, LATEST, run_dir)
    running = Path(output_dir) / RUNNING
    if running.is_symlink() and running.resolve() == Path(run_dir).resolve():
        running.unlink()


def incomplete(checkpoint: Path) -> list[str]:
    """What a checkpoint folder lacks (empty when the Trainer finished writing it)."""
    missing = [name for name in CHECKPOINT_FILES if not (checkpoint / name).is_file()]
    if not any((checkpoint / name).is_file() for name in WEIGHT_FILES):
        missing.append("model weights")
    return missing


def last_complete_checkpoint(checkpoint_dir: str | Path) -> str | None:
    """The newest checkpoint the Trainer finished writing; newer half-written ones are skipped, and said so."""
    folder = Path(checkpoint_dir)
    if not folder.is_dir():
        return None
    found = []
    for path in folder.glob("checkpoint-*"):
        step = path.name.split("-", 1)[1]
        if path.is_dir() and step.isdigit():
            found.append((int(step), path))
    for _, path in sorted(found, reverse=True):
        missing = incomplete(path)
        if not missing:
            return str(path)
        log.warning("Skipping %s: incomplete (no %s), it was being written when the run stopped",
                    path.name, ", ".join(missing))
    return None


STATUS = "status"


def mark(run_dir: str | Path, state: str, why: str | None = None) -> None:
    """Write ``RUN/status``: ``running``, ``finished`` or ``failed: why`` (one line, replaced whole)."""
    path = Path(run_dir) / STATUS
    tmp = path.with_name(f".{STATUS}.tmp")
    tmp.write_text(f"{state}: {why}\n" if why else f"{state}\n", encoding="utf-8")
    os.replace(tmp, path)


def state_of(run_dir: str | Path) -> str | None:
    """``running``, ``finished`` or ``failed`` from ``RUN/status``; a run of an older claimnet with a complete
    export and summary counts as finished; None for a folder that is no run yet."""
    path = Path(run_dir) / STATUS
    if path.is_file():
        return path.read_text(encoding="utf-8").split(":", 1)[0].strip()
    if (Path(run_dir) / "summary.json").is_file() and (Path(run_dir) / "export" / "claimnet.json").is_file():
        return "finished"
    return None


@contextmanager
def run_lock(run_dir: str | Path):
    """Hold ``RUN/.lock`` for the run's life; a second writer of the same folder is refused, naming it."""
    from filelock import FileLock, Timeout

    from claimnet.errors import ConfigError

    lock = FileLock(str(Path(run_dir) / ".lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ConfigError(f"run_dir={run_dir} is in use: another claimnet process holds its lock ({lock.lock_file}); "
                          "wait for it to end, or start a new run (no run_dir)") from None
    try:
        yield
    finally:
        lock.release()
