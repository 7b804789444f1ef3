"""What every script shares: resolvers, the run folder, and the exit-code contract.

Exit codes (design.md): 0 done; 1 a check the user asked for failed (an
evaluation gate); 2 anything the user must fix, with a short message and no traceback (``HYDRA_FULL_ERROR=1``
shows one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from claimnet.errors import ClaimnetError
from claimnet.training.runs import run_dir_for

if not OmegaConf.has_resolver("claimnet_run_dir"):
    OmegaConf.register_new_resolver("claimnet_run_dir", run_dir_for)


_outcome: dict[str, int] = {}


def run_dir_of(cfg) -> Path:
    """The run folder: ``run_dir`` when set, else the folder Hydra made for this run."""
    if cfg.get("run_dir"):
        return Path(cfg.run_dir)
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def run(task: Callable[..., Any], cfg) -> Any:
    """Run a task; a user-fixable error becomes a message on stderr and exit code 2."""
    try:
        result = task(cfg)
    except ClaimnetError as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1" and exc.exit_code == 2:
            raise
        print(str(exc) if exc.exit_code == 1 else f"error: {exc}", file=sys.stderr)
        _outcome["code"] = exc.exit_code
        return None
    except OmegaConfBaseException as exc:
        # e.g. a mandatory value (???) left unset: a usage error, not a bug.
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        msg = str(exc).splitlines()[0]
        print(f"error: {msg}. Set it on the command line, e.g. `key=value`.", file=sys.stderr)
        _outcome["code"] = 2
        return None
    _outcome["code"] = 0
    return result


def exit_with(main: Callable[[], Any]) -> None:
    """Call a ``@hydra.main`` function and exit with the task's code.

    Hydra exits 1 on a bad override or an unknown config option before the task
    runs; that is a usage error, so it becomes 2.
    """
    try:
        main()
    except SystemExit as exc:
        if "code" not in _outcome and exc.code not in (0, None):
            sys.exit(2)
        raise
    sys.exit(_outcome.get("code", 0))
