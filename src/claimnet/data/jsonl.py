"""The one JSON Lines reader: records with ``file:line`` locations, for data files and tag input.

Each problem (bad UTF-8, bad JSON) is a message that names the file and line,
so callers can either stop at the first one or collect them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from claimnet.errors import DataError


def read_bytes(path: str | Path, expected: str = "a .jsonl file") -> bytes:
    """A file's bytes, or a :class:`DataError` that says why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise DataError([f"{path}: no such file"])
    if path.is_dir():
        raise DataError([f"{path}: is a directory; expected {expected}"])
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None


def iter_records(raw: bytes, source: str) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line number, decoded record, problem)`` for each non-blank line.

    ``problem`` is ``None`` for a good line; otherwise the record is ``None`` and
    ``problem`` reads ``SOURCE:LINE: what is wrong``.
    """
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield lineno, None, (f"{where}: not valid UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1}); "
                                 "save the file as UTF-8")
            continue
        try:
            yield lineno, json.loads(decoded), None
        except json.JSONDecodeError as exc:
            yield lineno, None, f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
