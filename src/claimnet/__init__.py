"""claimnet: tag each sentence of a news article as claim, attribution, hedge or background.

Importing claimnet loads no torch, transformers or Hydra: the runtime
(``ClaimTagger``, in :mod:`claimnet.runtime`) needs only the base install.
"""

from claimnet.errors import ClaimnetError, ConfigError, DataError, ModelLoadError
from claimnet.runtime.tagger import ClaimTagger, TaggedSentence

__version__ = "0.1.0"
__all__ = ["ClaimTagger", "TaggedSentence", "ClaimnetError", "ConfigError", "DataError", "ModelLoadError"]
