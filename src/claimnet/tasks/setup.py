"""The one set-up every entry point calls before composing a job; importing any claimnet module does nothing.

It registers claimnet's OmegaConf resolvers and the config schema with Hydra,
sizes oneDNN's kernel cache before the process runs a torch op, and switches
the dependencies' telemetry off (:mod:`claimnet.runtime.privacy`). It is
idempotent: the scripts, the ``claimnet`` command and the Python API all call it.
"""

from __future__ import annotations

from functools import cache


@cache
def set_up() -> None:
    """Resolvers, the schema in Hydra's ConfigStore, and oneDNN's kernel cache (once per process)."""
    import secrets
    from pathlib import Path

    from omegaconf import OmegaConf

    from claimnet.bundled import config_dir, corpus_dir
    from claimnet.config import register
    from claimnet.runtime.privacy import telemetry_off
    from claimnet.training.device import keep_onednn_primitives
    from claimnet.training.distributed import on_main
    from claimnet.training.runs import run_dir_for

    for name, resolver in (("claimnet_run_dir", run_dir_for),
                           ("claimnet_on_main", on_main),
                           ("claimnet_config_dir", lambda: str(config_dir())),
                           ("claimnet_corpus_dir", lambda: str(corpus_dir())),
                           ("claimnet_suffix", lambda: secrets.token_hex(3)),
                           ("claimnet_folder_of", lambda path: str(Path(path).parent))):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)
    register()
    keep_onednn_primitives()  # before any torch op of the process (oneDNN reads it once)
    telemetry_off()  # before any library that reads its switch at import
