"""``claimnet tag [--model DIR] FILE...|-``: tag the sentences of raw text articles."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from claimnet.data.jsonl import iter_records
from claimnet.errors import DataError
from claimnet.runtime.backends import BACKENDS, PRECISIONS
from claimnet.runtime.formats import OUTPUT_FORMATS, ResultWriter, write_results

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


CHUNK_BYTES = 1 << 20  # text is read, decoded and tagged a mebibyte at a time


def _open_binary(name: str):
    if name == "-":
        return sys.stdin.buffer, "<stdin>"
    path = Path(name)
    if not path.exists():
        raise DataError([f"{name}: no such file"])
    if path.is_dir():
        raise DataError([f"{name}: is a directory; expected text files (or - for standard input)"])
    try:
        return path.open("rb"), name
    except OSError as exc:
        raise DataError([f"{name}: cannot be read ({exc.strerror or exc})"]) from None


def _text_parts(stream, label: str) -> Iterator[str]:
    """The UTF-8 text of ``stream``, decoded a chunk at a time; bad bytes are a DataError naming their offset."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    read = getattr(stream, "read1", stream.read)  # read1: what a pipe has now, not a full chunk
    offset = 0
    while True:
        try:
            block = read(CHUNK_BYTES)
        except OSError as exc:
            raise DataError([f"{label}: cannot be read ({exc.strerror or exc})"]) from None
        if offset == 0 and b"\x00" in block[:8192]:
            raise DataError([f"{label}: looks like a binary file (NUL bytes); claimnet tags UTF-8 text"])
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            byte, at = exc.object[exc.start], offset - pending + exc.start
            raise DataError([f"{label}: not valid UTF-8 (byte 0x{byte:02x} at offset {at})"]) from None
        if text:
            yield text
        if not block:
            return
        offset += len(block)


def _nonblank(parts: Iterable[str]) -> Iterator[str] | None:
    """``parts`` again, or ``None`` when they hold nothing but white space (read up to the first that does not)."""
    parts = iter(parts)
    seen = []
    for part in parts:
        seen.append(part)
        if part.strip():
            return itertools.chain(seen, parts)
    return None


def documents(files: Sequence[str], input_format: str) -> Iterator[tuple[str, Iterable[str]]]:
    """Yield (document id, text parts) from the inputs, reading each only as far as it is tagged."""
    for name in files:
        stream, label = _open_binary(name)
        try:
            if input_format == "text":
                yield name, _text_parts(stream, label)
                continue
            for lineno, record, problem in iter_records(stream, label):
                if problem:
                    raise DataError([problem])
                if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                    raise DataError([f"{label}:{lineno}: expected an object with a string 'text' field"])
                yield str(record.get("id", f"{label}:{lineno}")), (record["text"],)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


_worker_tagger = None


def _start_worker(model: str, backend: str, precision: str, batch_size: int | None, threads: int) -> None:
    """In each worker process: load the model once."""
    global _worker_tagger
    from claimnet.runtime.tagger import ClaimTagger

    _worker_tagger = ClaimTagger.load(model, backend=backend, precision=precision, batch_size=batch_size,
                                      num_threads=threads)


def _tag_chunk(texts: list[str]) -> list[list | None]:
    """In a worker: each text's tagged sentences (``None`` for a blank text)."""
    return [_worker_tagger.tag(text) if text.strip() else None for text in texts]


def tag_in_processes(docs: Iterable[tuple[str, Iterable[str]]], args: argparse.Namespace,
                     chunk: int = 16) -> Iterator[tuple[str, list | None]]:
    """(document id, tagged sentences) from ``args.workers`` processes, in input order.

    Documents go out in chunks; at most two chunks per worker are in flight, so
    memory stays bounded however long the input is. Each worker gets an equal
    share of the cores unless ``--threads`` says otherwise.
    """
    import multiprocessing
    import os
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    threads = args.threads or max(1, (os.cpu_count() or 1) // args.workers)
    init = (model_dir(args.model), args.backend, args.precision, args.batch_size, threads)
    pending: deque = deque()
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=init) as pool:
        docs = iter(docs)
        while True:
            while len(pending) < 2 * args.workers:
                batch = [(doc_id, "".join(parts)) for doc_id, parts in itertools.islice(docs, chunk)]
                if not batch:
                    break
                pending.append(([d for d, _ in batch], pool.submit(_tag_chunk, [t for _, t in batch])))
            if not pending:
                return
            ids, future = pending.popleft()
            yield from zip(ids, future.result())


def run(args: argparse.Namespace) -> int:
    """Tag and write each article as it is read: output starts at once and memory stays flat, whatever the size."""
    from claimnet.runtime.tagger import ClaimTagger

    tagger = None

    def load() -> ClaimTagger:
        nonlocal tagger
        if tagger is None:  # only once there is text to tag: an empty input needs no model
            tagger = ClaimTagger.load(model_dir(args.model), backend=args.backend, precision=args.precision,
                                      batch_size=args.batch_size, num_threads=args.threads)
        return tagger

    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    if hasattr(sys.stdout, "reconfigure"):  # never a traceback for text the terminal cannot show
        sys.stdout.reconfigure(errors="backslashreplace")
    if args.format == "html":  # one page: it needs each whole text
        docs, results = [], []
        for doc_id, parts in documents(args.files, args.input):
            text = "".join(parts)
            if not text.strip():
                print(f"claimnet: {doc_id}: empty, nothing to tag", file=sys.stderr)
                continue
            docs.append((doc_id, text))
            results.append(load().tag(text))
        write_results("html", docs, results, sys.stdout, tagger.labels if tagger else [])
        return 0
    writer = ResultWriter(args.format, sys.stdout, ensure_ascii=not utf8,
                          headers=len(args.files) > 1 or args.input == "jsonl")
    if args.workers > 1:
        for doc_id, sentences in tag_in_processes(documents(args.files, args.input), args):
            if sentences is None:
                print(f"claimnet: {doc_id}: empty, nothing to tag", file=sys.stderr)
                continue
            writer.document(doc_id, sentences)
        writer.close()
        return 0
    for doc_id, parts in documents(args.files, args.input):
        text = _nonblank(parts)
        if text is None:
            print(f"claimnet: {doc_id}: empty, nothing to tag", file=sys.stderr)
            continue
        writer.document(doc_id, load().tag_stream(text))
    writer.close()
    return 0


def add_parser(sub) -> None:
    tag = sub.add_parser("tag", help="tag the sentences of raw text articles")
    tag.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files, or - for standard input")
    tag.add_argument("--model", default=None,
                     help=f"export folder (default: ${MODEL_ENV}, else {DEFAULT_MODEL})")
    tag.add_argument("--backend", default="auto", choices=BACKENDS)
    tag.add_argument("--precision", default="auto", choices=PRECISIONS)
    tag.add_argument("--input", default="text", choices=["text", "jsonl"],
                     help="text: each file is one article; jsonl: one article per line with a 'text' field")
    tag.add_argument("--format", default="text", choices=OUTPUT_FORMATS)
    tag.add_argument("--batch-size", type=positive_int, default=None, help="sentences per batch (default: per backend)")
    tag.add_argument("--threads", type=positive_int, default=None,
                     help="intra-op threads (default: the runtime's; with --workers, the cores shared out)")
    tag.add_argument("--workers", type=positive_int, default=1,
                     help="tagging processes, each with its own copy of the model; output keeps the input order "
                          "(each article or file is then read whole)")
    tag.set_defaults(func=run)
