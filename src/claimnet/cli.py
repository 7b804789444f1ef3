"""The ``claimnet`` command: ``claimnet tag [--model DIR] FILE...|-``.

Runs on the base install (no torch, transformers or Hydra needed with an ONNX
export). Exit codes: 0 done, 2 a problem the user must fix (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from html import escape
from collections.abc import Iterator, Sequence
from pathlib import Path

from claimnet.errors import ClaimnetError, DataError

DEFAULT_MODEL = "outputs/latest/export"


def _read_text(name: str) -> str:
    if name == "-":
        raw = sys.stdin.buffer.read()
        label = "<stdin>"
    else:
        path = Path(name)
        if not path.exists():
            raise DataError([f"{name}: no such file"])
        if path.is_dir():
            raise DataError([f"{name}: is a directory; pass text files (or - for standard input)"])
        raw = path.read_bytes()
        label = name
    if b"\x00" in raw[:8192]:
        raise DataError([f"{label}: looks like a binary file (NUL bytes); claimnet tags UTF-8 text"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([f"{label}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]) from None


def _documents(files: Sequence[str], input_format: str) -> Iterator[tuple[str, str]]:
    """Yield (document id, text) pairs from the inputs."""
    for name in files:
        text = _read_text(name)
        if input_format == "text":
            yield name, text
            continue
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError([f"{name}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})"]) from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise DataError([f"{name}:{lineno}: expected an object with a string 'text' field"])
            yield str(record.get("id", f"{name}:{lineno}")), record["text"]


def html_page(docs: list[tuple[str, str]], results, labels: Sequence[str]) -> str:
    """One self-contained page: sentences in their label's colour, probabilities on hover."""
    from claimnet.reporting import PALETTE

    colour = {l: PALETTE[i % len(PALETTE)] + "66" for i, l in enumerate(labels)}
    legend = " ".join(f'<span class="s" style="background:{colour[l]}">{escape(l)}</span>' for l in labels)
    parts = []
    for (doc_id, text), tagged in zip(docs, results):
        pieces, pos = [], 0
        for s in tagged:
            pieces.append(escape(text[pos : s.start]))
            hover = ", ".join(f"{l} {p:.3f}" for l, p in sorted(s.scores.items(), key=lambda kv: -kv[1]))
            pieces.append(
                f'<span class="s" style="background:{colour[s.label]}" title="{escape(hover)}" '
                f'data-label="{escape(s.label)}">{escape(text[s.start:s.end])}</span>'
            )
            pos = s.end
        pieces.append(escape(text[pos:]))
        parts.append(f"<article><h2>{escape(doc_id)}</h2><div class=\"text\">{''.join(pieces)}</div></article>")
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>claimnet</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.6}"
        ".text{white-space:pre-wrap}.s{border-radius:3px;padding:1px 2px}"
        "</style></head><body><p>" + legend + "</p>" + "".join(parts) + "</body></html>\n"
    )


def _write(fmt: str, docs: list[tuple[str, str]], results, out, labels: Sequence[str] = ()) -> None:
    if fmt == "html":
        out.write(html_page(docs, results, labels))
        return
    if fmt == "json":
        payload = [
            {"id": doc_id, "sentences": [s.to_dict() for s in tagged]} for (doc_id, _), tagged in zip(docs, results)
        ]
        json.dump(payload if len(payload) > 1 else payload[0], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for (doc_id, _), tagged in zip(docs, results):
        if fmt == "jsonl":
            for s in tagged:
                out.write(json.dumps({"id": doc_id, **s.to_dict()}, ensure_ascii=False) + "\n")
            continue
        if len(docs) > 1:
            out.write(f"==> {doc_id} <==\n")
        for s in tagged:
            out.write(f"{s.label:<12} {s.score:.3f}  {s.text}\n")


def tag_command(args: argparse.Namespace) -> int:
    from claimnet.inference import ClaimTagger

    docs = list(_documents(args.files, args.input))
    empty = [doc_id for doc_id, text in docs if not text.strip()]
    for doc_id in empty:
        print(f"claimnet: {doc_id}: empty, nothing to tag", file=sys.stderr)
    docs = [(d, t) for d, t in docs if t.strip()]
    if not docs:
        return 0
    tagger = ClaimTagger.load(args.model, backend=args.backend, precision=args.precision,
                              batch_size=args.batch_size, num_threads=args.threads)
    results = tagger.tag_many([t for _, t in docs])
    _write(args.format, docs, results, sys.stdout, tagger.labels)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tag = sub.add_parser("tag", help="tag the sentences of raw text articles")
    tag.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files, or - for standard input")
    tag.add_argument("--model", default=DEFAULT_MODEL, help=f"export folder (default: {DEFAULT_MODEL})")
    tag.add_argument("--backend", default="auto", choices=["auto", "onnx", "torch"])
    tag.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8", "bf16"])
    tag.add_argument("--input", default="text", choices=["text", "jsonl"],
                     help="text: each file is one article; jsonl: one article per line with a 'text' field")
    tag.add_argument("--format", default="text", choices=["text", "json", "jsonl", "html"])
    tag.add_argument("--batch-size", type=int, default=None, help="sentences per batch (default: per backend)")
    tag.add_argument("--threads", type=int, default=None, help="intra-op threads (default: the runtime's)")
    tag.set_defaults(func=tag_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ClaimnetError as exc:
        print(f"claimnet: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
