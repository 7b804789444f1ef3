"""The one JSON Lines reader: records with ``file:line`` locations, for data files and tag input.

Each problem (bad UTF-8, bad JSON) is a message that names the file and line,
so callers can either stop at the first one or collect them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from claimnet.errors import DataError


def check_file(path: str | Path, expected: str = "a .jsonl file") -> Path:
    """``path`` when it names a file, else a :class:`DataError` that says what it is instead."""
    path = Path(path)
    if not path.exists():
        raise DataError([f"{path}: no such file"])
    if path.is_dir():
        raise DataError([f"{path}: is a directory; expected {expected}"])
    return path


def read_bytes(path: str | Path, expected: str = "a .jsonl file") -> bytes:
    """A file's bytes, or a :class:`DataError` that says why it cannot be read."""
    path = check_file(path, expected)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None


def sniff_format(raw: bytes) -> str | None:
    """What a file that is not JSON Lines looks like, in words (``None`` when it may well be JSONL)."""
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    first = head.split(b"\n", 1)[0].strip()
    if head.startswith(b"["):
        return ("a JSON array (a Label Studio export looks like this), not JSON Lines; convert it with "
                "`claimnet data import --from labelstudio FILE -o OUT.jsonl`")
    if first == b"{":
        return "pretty-printed JSON; JSON Lines needs each article on one line"
    if first and not first.startswith(b"{") and first.count(b",") >= 1 and b":" not in first:
        return ("CSV, not JSON Lines; one sentence per row converts with "
                "`claimnet data import --from csv FILE -o OUT.jsonl`")
    return None


def iter_records(raw: bytes | Iterable[bytes], source: str) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line number, decoded record, problem)`` for each non-blank line.

    ``raw`` is the file's bytes, or a binary file read a line at a time (memory
    then holds one line, whatever the file's size).

    ``problem`` is ``None`` for a good line; otherwise the record is ``None`` and
    ``problem`` reads ``SOURCE:LINE: what is wrong``.
    """
    lines = raw.split(b"\n") if isinstance(raw, (bytes, bytearray)) else raw
    for lineno, line in enumerate(lines, start=1):
        if line.endswith(b"\n"):  # a file read a line at a time keeps its newline; a JSON error must not point past it
            line = line[:-1]
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
            record = json.loads(decoded)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield lineno, None, f"{where}: JSON nested too deeply to be an article"
            continue
        yield lineno, record, None


def article_record(article) -> dict[str, Any]:
    """An :class:`~claimnet.data.articles.Article` as its JSONL object (metadata after the three fields)."""
    return {"id": article.id, "text": article.text,
            "sentences": [{"start": s.start, "end": s.end, "label": s.label} for s in article.sentences],
            **dict(article.metadata)}


def write_articles(path: str | Path, articles: Iterable) -> int:
    """Write articles as JSONL, whole or not at all (:func:`claimnet.runtime.files.open_output`); returns the count."""
    from claimnet.runtime.files import open_output

    n = 0
    with open_output(path) as fh:  # "-" is standard output; a symlink is written through
        for article in articles:
            fh.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
            n += 1
    return n


def iter_json_array(path: str | Path, expected: str, chunk: int = 1 << 20) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, element)`` of a file holding one JSON array (or one object: index 0), reading it a chunk
    at a time: memory holds one element and one chunk, whatever the file's size.

    A malformed element raises :class:`DataError` naming the file and the element's index.
    """
    import codecs

    path = check_file(path, expected)
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise DataError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    with handle:
        buffer, pos, eof, offset = "", 0, False, 0

        def more(size: int) -> bool:
            nonlocal buffer, pos, eof, offset
            if eof:
                return False
            raw = handle.read(size)
            try:
                text = utf8.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                raise DataError([f"{path}: not valid UTF-8 (byte at offset {offset + exc.start})"]) from None
            offset += len(raw)
            eof = not raw
            buffer, pos = buffer[pos:] + text, 0
            return bool(raw)

        def skip_space() -> str:
            nonlocal pos
            while True:
                while pos < len(buffer) and buffer[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buffer) or not more(chunk):
                    return buffer[pos] if pos < len(buffer) else ""

        def element(index: int) -> Any:
            nonlocal pos
            size = chunk
            while True:
                try:
                    value, end = decoder.raw_decode(buffer, pos)
                    if end == len(buffer) and not isinstance(value, (dict, list)) and more(size):
                        continue  # a number or word cut at the chunk's end: decode it whole
                    pos = end
                    return value
                except json.JSONDecodeError as exc:
                    if not more(size):  # the element is not valid JSON, even with the whole file read
                        raise DataError([f"{path}: element {index} is not valid JSON ({exc.msg})"]) from None
                    size *= 2  # a long element: read ahead faster rather than decode it again and again
                except RecursionError:
                    raise DataError([f"{path}: element {index} is nested too deeply to be a task"]) from None

        first = skip_space()
        if first == "{":
            yield 0, element(0)
            return
        if first != "[":
            raise DataError([f"{path}: not valid JSON for {expected} (it should start with '[')"])
        pos += 1
        index = 0
        while True:
            here = skip_space()
            if here == "]":
                return
            if index and here == ",":
                pos += 1
                here = skip_space()
            elif index:
                raise DataError([f"{path}: after element {index - 1}, expected ',' or ']'"])
            if not here:
                raise DataError([f"{path}: the array is not closed (the file ends inside it)"])
            yield index, element(index)
            index += 1
