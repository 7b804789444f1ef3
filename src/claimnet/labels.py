"""The label schema: names in precedence order, and their integer ids.

The label names come from config (``data.labels``), a manifest, or ``--labels``;
only :data:`DEFAULT_LABELS` names them in code, so a project with another label
set only edits its config.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from claimnet.errors import ConfigError

# The guidelines' four labels in precedence order, for commands that run without Hydra
# (``claimnet data`` with neither --labels nor --model). configs/data/claimnet_wikinews.yaml
# holds the same list; tests/data/test_cli_data.py keeps the two in step.
DEFAULT_LABELS = ("attribution", "hedge", "claim", "background")


@dataclass(frozen=True)
class LabelSet:
    """An ordered, duplicate-free tuple of label names (order = precedence)."""

    names: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.names) < 2:
            raise ConfigError(
                f"data.labels must list at least 2 labels. Got {list(self.names)!r} instead."
            )
        bad = [n for n in self.names if not isinstance(n, str) or not n.strip()]
        if bad:
            raise ConfigError(f"data.labels must be non-empty strings. Got {bad!r} instead.")
        dupes = sorted({n for n in self.names if self.names.count(n) > 1})
        if dupes:
            raise ConfigError(f"data.labels must not repeat a label. Repeated: {dupes!r}.")

    @classmethod
    def from_names(cls, names: Iterable[str]) -> LabelSet:
        return cls(tuple(names))

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self):
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def __getitem__(self, index: int) -> str:
        return self.names[index]

    def encode(self, names: Sequence[str]) -> list[int]:
        """Label names to ids (the model's output positions)."""
        lookup = self.label2id
        return [lookup[n] for n in names]
