"""claimnet's configuration: one typed schema per config group, its checks, and its registration with Hydra.

The YAML files in ``configs/`` are presets merged into the schema
(:mod:`claimnet.config.schema`); :func:`register` stores the schema in Hydra's
ConfigStore, once, when an entry point sets up (:func:`claimnet.tasks.setup.set_up`).
"""

from __future__ import annotations

from claimnet.config.schema import JOB_SCHEMAS


def register() -> None:
    """Store every job's schema in Hydra's ConfigStore as ``JOB_schema`` (the first entry of each job's defaults)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for name, schema in JOB_SCHEMAS.items():
        store.store(name=f"{name}_schema", node=schema)


__all__ = ["JOB_SCHEMAS", "register"]
