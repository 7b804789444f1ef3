"""The errors claimnet raises, and the one place an error becomes an exit code.

Exit codes: 0 done; 1 a check the user asked for failed (:class:`GateFailure`);
2 anything the user or the environment must fix (bad input, usage or config,
a missing file, a full disk, no permission), as one line naming the file or key;
130 on Ctrl-C; 70 for an unexpected error (a bug), with its traceback, so CI
never mistakes a bug for a failed gate or bad input. The ``claimnet`` command and
the scripts call :func:`report` at their edge; library code only raises.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
# OS errors the user's environment causes (and can fix): a one-line message, exit 2.
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG,
                      errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.EMFILE}


class ClaimnetError(Exception):
    """A problem the user must fix: bad data, a bad config value, a missing model."""

    exit_code = 2


class DataError(ClaimnetError, ValueError):
    """Annotated data that cannot be read; the message names the file and line."""

    def __init__(self, problems: list[str] | str, hidden: int = 0) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)  # one problem, or several
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


def exit_code_for(exc: BaseException) -> int:
    """The exit code an error ends a command with (see the module docstring)."""
    if isinstance(exc, ClaimnetError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        return EXIT_USAGE
    return EXIT_BUG


def message_for(exc: BaseException) -> str:
    """One line that names the file or key and the cause."""
    if isinstance(exc, OSError) and not isinstance(exc, ClaimnetError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    text = str(exc)
    return text if text else type(exc).__name__


def report(exc: BaseException, prog: str = "claimnet") -> int:
    """Print what ended a command and return its exit code (the edge's one job).

    A failed check prints its own lines; a user-fixable error one ``error:`` line
    (``HYDRA_FULL_ERROR=1`` or ``CLAIMNET_TRACEBACK=1`` adds the traceback); a bug its traceback.
    """
    code = exit_code_for(exc)
    full = os.environ.get("HYDRA_FULL_ERROR") == "1" or os.environ.get("CLAIMNET_TRACEBACK") == "1"
    if code == EXIT_INTERRUPTED:
        print(f"{prog}: interrupted", file=sys.stderr)
    elif code == EXIT_BUG or full:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        if code == EXIT_BUG:
            print(f"{prog}: unexpected error (a bug, exit {EXIT_BUG}); please report it with the traceback above",
                  file=sys.stderr)
    elif code == EXIT_CHECK_FAILED:
        print(message_for(exc), file=sys.stderr)
    else:
        print(f"{prog}: error: {message_for(exc)}", file=sys.stderr)
    return code
