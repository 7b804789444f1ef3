"""The error types claimnet raises for problems a user must fix.

Every one of them is caught by the entry points and turned into a short message
and exit code 2 (design.md, Settled details); anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations


class ClaimnetError(Exception):
    """A problem the user must fix: bad data, a bad config value, a missing model."""

    exit_code = 2


class DataError(ClaimnetError, ValueError):
    """Annotated data that cannot be read; the message names the file and line."""

    def __init__(self, problems: list[str], hidden: int = 0) -> None:
        self.problems = list(problems)
        self.hidden = hidden
        lines = list(self.problems)
        if hidden:
            lines.append(f"... and {hidden} more problem(s) not shown.")
        super().__init__("\n".join(lines))


class ConfigError(ClaimnetError, ValueError):
    """A config value outside its allowed set; the message names key and allowed values."""


class ModelLoadError(ClaimnetError, OSError):
    """A model or export that is missing, incomplete or altered."""


class GateFailure(ClaimnetError):
    """An evaluation gate failed; the message lists each failed gate. Exit code 1."""

    exit_code = 1
