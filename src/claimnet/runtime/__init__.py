"""The runtime: what the base install needs to tag articles with an export.

Segmentation, encoding, backends, the manifest (read and verified), ``ClaimTagger``
and output formats. It imports nothing of claimnet outside itself but ``errors``
and ``labels``, and none of torch, transformers, datasets, Hydra, OmegaConf,
scikit-learn or matplotlib (the torch backend's lazy import is the one declared
exception); ``make lint`` enforces this with import-linter.
"""
