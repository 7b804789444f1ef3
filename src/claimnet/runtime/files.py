"""File helpers shared by everything that reads or writes an export or a run folder."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


STDOUT = "-"


@contextmanager
def open_output(path: str | Path, binary: bool = False) -> Iterator[IO]:
    """Every file claimnet writes goes through here, so it is written whole or not at all.

    ``-`` is standard output. A symlink is written through to its target (the link stays). A target that is not a
    regular file (``/dev/stdout``, a pipe) is written in place. A regular file is written to a temporary file in
    its own folder and renamed over the target only once everything was written: on any error (a full disk, a
    permission) or Ctrl-C the target is as it was, and the temporary file is gone.
    """
    if str(path) == STDOUT:
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    if target.is_symlink():
        target = target.resolve()  # write through: the user's link keeps pointing where it points
    if target.exists() and not target.is_file():
        with open(target, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            yield fh
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:100]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": "\n"})) as fh:
            yield fh
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file (mkstemp makes it private)
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write text whole or not at all (:func:`open_output`)."""
    with open_output(path) as fh:
        fh.write(text)


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON whole or not at all (:func:`open_output`), so a reader never sees half a file."""
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
