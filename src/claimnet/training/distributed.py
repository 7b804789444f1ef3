"""Several processes, one run: what ranks share under ``torchrun`` (the Trainer does the data parallelism).

The run folder is decided once, by rank 0, and read by every other rank from
torchrun's own key-value store, so all ranks write checkpoints into one folder
and no rank makes a folder of its own. Only rank 0 writes ``outputs/latest``,
logs, reports and the export; the others wait for it at a barrier.
"""

from __future__ import annotations

import os
from datetime import timedelta

from claimnet.errors import ConfigError

STORE_TIMEOUT = timedelta(minutes=10)


def rank() -> int:
    """This process's global rank (0 outside a distributed launch)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    return rank() == 0


def on_main(value: str, otherwise: str | None = None) -> str | None:
    """``value`` on rank 0, ``otherwise`` on the other ranks (the ``claimnet_on_main`` resolver).

    The configs route Hydra's ``.hydra/`` folder and the log file through it, so
    only rank 0 writes them.
    """
    return value if is_main() else otherwise


def shared(key: str, proposed: str) -> str:
    """Rank 0's ``proposed`` value, on every rank: published on torchrun's agent store.

    Outside a distributed launch this is ``proposed`` itself.
    """
    if world_size() == 1:
        return proposed
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        raise ConfigError(
            f"{world_size()} processes were started without torchrun's store, so they cannot agree on one run "
            "folder; launch with `torchrun ... scripts/train.py`, or give every process the same run_dir=PATH"
        )
    from torch.distributed import TCPStore

    store = TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), is_master=False,
                     timeout=STORE_TIMEOUT)
    name = (f"claimnet/{key}/{os.environ.get('TORCHELASTIC_RUN_ID', 'none')}/"
            f"{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}")
    if is_main():
        store.set(name, proposed)
        return proposed
    return store.get(name).decode()


def barrier() -> None:
    """Wait for every rank (nothing to wait for in a single process)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
