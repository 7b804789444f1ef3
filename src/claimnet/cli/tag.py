"""``claimnet tag [--model DIR] FILE...|-``: tag the sentences of raw text articles."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from claimnet.data.jsonl import iter_records, read_bytes
from claimnet.errors import DataError
from claimnet.runtime.backends import BACKENDS, PRECISIONS
from claimnet.runtime.formats import FORMATS, write_results

DEFAULT_MODEL = "outputs/latest/export"
MODEL_ENV = "CLAIMNET_MODEL"


def model_dir(given: str | None) -> str:
    """``--model``, else ``$CLAIMNET_MODEL``, else ``outputs/latest/export``; a clear error when none exists."""
    import os

    if given:
        return given
    path = os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    if not Path(path).exists():
        raise DataError([f"no model found: pass --model DIR, set {MODEL_ENV}=DIR, or train one so that "
                         f"{DEFAULT_MODEL} exists (looked for {path})"])
    return path


def positive_int(text: str) -> int:
    """An argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= 1. Got {text!r} instead.") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1. Got {value} instead.")
    return value


def _read_raw(name: str) -> tuple[bytes, str]:
    if name == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    if not Path(name).exists():
        raise DataError([f"{name}: no such file"])
    return read_bytes(name, "text files (or - for standard input)"), name


def _read_text(name: str) -> tuple[str, bytes, str]:
    raw, label = _read_raw(name)
    if b"\x00" in raw[:8192]:
        raise DataError([f"{label}: looks like a binary file (NUL bytes); claimnet tags UTF-8 text"])
    try:
        return raw.decode("utf-8"), raw, label
    except UnicodeDecodeError as exc:
        raise DataError([f"{label}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]) from None


def documents(files: Sequence[str], input_format: str) -> Iterator[tuple[str, str]]:
    """Yield (document id, text) pairs from the inputs."""
    for name in files:
        text, raw, label = _read_text(name)
        if input_format == "text":
            yield name, text
            continue
        for lineno, record, problem in iter_records(raw, label):
            if problem:
                raise DataError([problem])
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise DataError([f"{label}:{lineno}: expected an object with a string 'text' field"])
            yield str(record.get("id", f"{label}:{lineno}")), record["text"]


def run(args: argparse.Namespace) -> int:
    from claimnet.runtime.tagger import ClaimTagger

    docs = list(documents(args.files, args.input))
    for doc_id, text in docs:
        if not text.strip():
            print(f"claimnet: {doc_id}: empty, nothing to tag", file=sys.stderr)
    docs = [(d, t) for d, t in docs if t.strip()]
    if not docs:  # an empty input is an empty result, in the requested format
        write_results(args.format, [], [], sys.stdout, [])
        return 0
    tagger = ClaimTagger.load(model_dir(args.model), backend=args.backend, precision=args.precision,
                              batch_size=args.batch_size, num_threads=args.threads)
    results = tagger.tag_many([t for _, t in docs])
    write_results(args.format, docs, results, sys.stdout, tagger.labels, ensure_ascii=not _holds_all_text(docs))
    return 0


def _holds_all_text(docs) -> bool:
    """Whether standard output can take every text as it is (UTF-8, no lone surrogates).

    When it cannot, JSON is written with escapes and text/HTML with replacements, never a traceback.
    """
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    clean = all(not any("\ud800" <= ch <= "\udfff" for ch in text) for _, text in docs)
    if not (utf8 and clean) and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    return utf8 and clean


def add_parser(sub) -> None:
    tag = sub.add_parser("tag", help="tag the sentences of raw text articles")
    tag.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files, or - for standard input")
    tag.add_argument("--model", default=None,
                     help=f"export folder (default: ${MODEL_ENV}, else {DEFAULT_MODEL})")
    tag.add_argument("--backend", default="auto", choices=BACKENDS)
    tag.add_argument("--precision", default="auto", choices=PRECISIONS)
    tag.add_argument("--input", default="text", choices=["text", "jsonl"],
                     help="text: each file is one article; jsonl: one article per line with a 'text' field")
    tag.add_argument("--format", default="text", choices=FORMATS)
    tag.add_argument("--batch-size", type=positive_int, default=None, help="sentences per batch (default: per backend)")
    tag.add_argument("--threads", type=positive_int, default=None, help="intra-op threads (default: the runtime's)")
    tag.set_defaults(func=run)
