"""The folders a job writes into: the run folder, Hydra's job folder, and cleaning up after an early failure."""

from __future__ import annotations

import shutil
from pathlib import Path

from omegaconf import OmegaConf


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


def folder_under_a_file(overrides: list[str]) -> str | None:
    """A folder override (``output_dir=``, ``run_dir=``, ...) that cannot be made because a file is in the way."""
    for arg in overrides:
        key, sep, value = arg.lstrip("+").partition("=")
        if not sep or not value or not key.endswith("_dir"):
            continue
        for ancestor in [Path(value), *Path(value).parents]:
            if ancestor.exists():
                if not ancestor.is_dir():
                    return f"{key}={value}: {ancestor} is a file, so the folder cannot be made there"
                break
    return None
