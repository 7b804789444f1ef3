"""claimnet: tag each sentence of a news article as claim, attribution, hedge or background.

Importing claimnet loads no torch, transformers or Hydra: the runtime
(``ClaimTagger``, in :mod:`claimnet.runtime`) needs only the base install.
``claimnet.train(overrides=[...])``, ``distill``, ``evaluate``, ``export`` and ``bench``
run the jobs from Python (:mod:`claimnet.api`, loaded on first use).
"""

from claimnet.errors import ClaimnetError, ConfigError, DataError, GateFailure, ModelLoadError
from claimnet.runtime.tagger import ClaimTagger, TaggedSentence

__version__ = "0.1.0"
__all__ = ["ClaimTagger", "TaggedSentence", "ClaimnetError", "ConfigError", "DataError", "GateFailure",
           "ModelLoadError", "train", "distill", "evaluate", "export", "bench"]
_JOBS = ("train", "distill", "evaluate", "export", "bench")


def __getattr__(name: str):
    # claimnet.train(...) and friends load Hydra and the training side only when called for.
    if name in _JOBS:
        import importlib

        return getattr(importlib.import_module("claimnet.api"), name)
    raise AttributeError(f"module 'claimnet' has no attribute {name!r}")
