"""Running a job: compose its config (Hydra's compose API for Python, ``@hydra.main`` for commands) and call it.

:func:`compose_job` is what the Python API and ``--help`` use; :func:`run_job`
is what ``claimnet JOB`` and ``scripts/JOB.py`` call: it checks the overrides
against the schema, runs the job under ``@hydra.main`` (so ``-m``, ``--cfg job``
and ``--config-dir`` work as in any Hydra app) and turns what ended it into the
exit code, in this one place (:func:`claimnet.errors.report`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimnet.bundled import config_dir as bundled_config_dir
from claimnet.config.checks import check_overrides
from claimnet.config.schema import JOB_SCHEMAS
from claimnet.errors import EXIT_OK, EXIT_USAGE, ConfigError, exit_code_for, report
from claimnet.tasks.folders import folder_under_a_file, remove_if_untouched
from claimnet.tasks.registry import JOBS, Job
from claimnet.tasks.setup import set_up


@dataclass(frozen=True)
class Outcome:
    """What a job run under Hydra returns: its result, or the error that ended it.

    A sweeper reads it as a float: the job's ``optimized_metric``; a failed trial cannot be read
    as one (TypeError), which Optuna's sweeper records as a failed trial before going on. The
    sweep summary reads ``error``.
    """

    result: Any = None
    error: BaseException | None = None
    metric: str | None = None

    def __float__(self) -> float:
        if self.error is not None:
            raise TypeError(f"the job failed: {self.error}")
        if self.metric is None or not isinstance(self.result, dict):
            return math.nan
        from claimnet.tasks.sweep import optimized_value

        return optimized_value(self.result, self.metric)


def groups(extra_dir: str | Path | None = None) -> dict[str, list[str]]:
    """The config groups (``model``, ``trainer``, ...) and their options, claimnet's and a ``--config-dir``'s."""
    found: dict[str, set[str]] = {}
    for root in (bundled_config_dir(), *([Path(extra_dir)] if extra_dir else [])):
        for folder in (p for p in root.iterdir() if p.is_dir()) if root.is_dir() else ():
            found.setdefault(folder.name, set()).update(f.stem for f in folder.glob("*.yaml"))
    return {name: sorted(options) for name, options in sorted(found.items())}


def config_dir_in(argv: Sequence[str]) -> str | None:
    """The folder a ``--config-dir DIR`` (or ``-cd DIR``, ``--config-dir=DIR``) names, if any."""
    for i, arg in enumerate(argv):
        if arg in ("--config-dir", "-cd") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config-dir="):
            return arg.split("=", 1)[1]
    return None


def as_config_error(exc: Exception) -> Exception:
    """Hydra's and OmegaConf's composition errors are usage errors: one line, exit 2."""
    if type(exc).__module__.startswith(("hydra", "omegaconf")):
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return ConfigError(" ".join(lines[:2]) if lines else type(exc).__name__)
    return exc


def compose_job(config_name: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None,
                keep_hydra: bool = False, resolve_outputs: bool = True):
    """A job's config composed as the commands would (for the Python API and ``--help``).

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
    set_up()
    check_overrides(overrides, JOB_SCHEMAS[config_name], groups(config_dir))
    extra = [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir else []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(bundled_config_dir()), version_base="1.3"):
            cfg = hydra_compose(config_name, [*overrides, *extra], return_hydra_config=True)
    except Exception as exc:  # noqa: BLE001  (re-raised: a usage error as ConfigError, anything else as it is)
        raise as_config_error(exc) from None
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


def run_job(job: Job | str, argv: Sequence[str], prog: str) -> int:
    """Run a job with ``argv`` as its command line; return the exit code (0, 1, 2, 70 or 130)."""
    job = JOBS[job] if isinstance(job, str) else job
    argv = list(argv)
    try:
        set_up()
        if any(a in ("--help", "-h") for a in argv):
            from claimnet.tasks.help import describe

            at = next(i for i, a in enumerate(argv) if a in ("--help", "-h"))
            topic = argv[at + 1] if at + 1 < len(argv) and not argv[at + 1].startswith("-") else None
            cfg = compose_job(job.config_name, [], keep_hydra=True, resolve_outputs=False)
            print(describe(job, cfg, prog, topic), end="")
            return EXIT_OK
        bad = folder_under_a_file(argv)
        if bad:
            raise ConfigError(bad)
        extra = config_dir_in(argv)
        check_overrides([a for a in argv if not a.startswith("-") and "=" in a and a != extra],
                        JOB_SCHEMAS[job.config_name], groups(extra))
    except BaseException as exc:  # noqa: BLE001  (the edge: every error becomes one exit code)
        return report(exc, prog)
    return _under_hydra(job, argv, prog)


def _under_hydra(job: Job, argv: list[str], prog: str) -> int:
    """``@hydra.main`` around the job; the outcome of a single run decides the exit code."""
    import hydra
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    outcomes: list[Outcome] = []

    @hydra.main(version_base="1.3", config_path=str(bundled_config_dir()), config_name=job.config_name)
    def main(cfg) -> Outcome:
        from hydra.core.hydra_config import HydraConfig

        metric = cfg.get("optimized_metric")
        try:
            outcome = Outcome(result=job.function()(cfg), metric=metric)
        except OmegaConfBaseException as exc:  # e.g. a mandatory value (???) left unset
            outcome = Outcome(error=ConfigError(f"{str(exc).splitlines()[0]}. Set it on the command line, "
                                                "e.g. `key=value`."), metric=metric)
        except BaseException as exc:  # noqa: BLE001  (recorded; the edge below reports it)
            outcome = Outcome(error=exc, metric=metric)
        if outcome.error is not None and exit_code_for(outcome.error) == EXIT_USAGE:
            remove_if_untouched(cfg)
        multirun = OmegaConf.select(HydraConfig.get(), "mode") is not None and \
            str(HydraConfig.get().mode).endswith("MULTIRUN")
        if multirun and isinstance(outcome.error, KeyboardInterrupt):
            raise outcome.error
        if multirun and outcome.error is not None:  # a failed trial is recorded and the sweep goes on
            print(f"trial failed: {str(outcome.error).splitlines()[0] if str(outcome.error) else outcome.error!r}",
                  file=sys.stderr)
        outcomes.append(outcome)
        return outcome

    saved = sys.argv
    sys.argv = [prog, *argv]
    try:
        main()
    except SystemExit as exc:  # Hydra's own exit: a bad override or unknown option is a usage error
        if exc.code not in (0, None) and not outcomes:
            return EXIT_USAGE
    except BaseException as exc:  # noqa: BLE001  (Ctrl-C in a sweep, or Hydra failing outside the job)
        return report(as_config_error(exc) if isinstance(exc, Exception) else exc, prog)
    finally:
        sys.argv = saved
    if len(outcomes) == 1 and outcomes[0].error is not None:
        return report(outcomes[0].error, prog)
    return EXIT_OK

