"""Where the Hydra configs and the bundled corpus are: in the wheel, or in the clone.

The repository keeps them at its top level (``configs/``, ``data/``), the one
source; the wheel carries them as package data (``claimnet.bundled.configs``,
``claimnet.bundled.corpus``, mapped in ``pyproject.toml``), so an installed
claimnet trains outside any clone. An editable install or a plain checkout
finds the top-level folders themselves.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_REPOSITORY = _HERE.parents[2]


def _find(packaged: str, folder: str, marker: str) -> Path:
    for path in (_HERE / packaged, _REPOSITORY / folder):
        if (path / marker).exists():
            return path
    raise FileNotFoundError(f"claimnet's {folder}/ is neither in the installed package ({_HERE / packaged}) "
                            f"nor in a checkout ({_REPOSITORY / folder})")


def config_dir() -> Path:
    """The folder of Hydra configs (``train.yaml``, ``data/``, ``model/``, ...)."""
    return _find("configs", "configs", "train.yaml")


def corpus_dir() -> Path:
    """The folder holding the bundled corpus (``claimnet-wikinews/``) and its data card."""
    return _find("corpus", "data", "claimnet-wikinews/train.jsonl")
