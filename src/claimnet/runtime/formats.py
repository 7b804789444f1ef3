"""Output formats of tagged articles: text, json, jsonl and a self-contained HTML page.

``json`` is always a list of ``{id, sentences}`` objects, one per article;
``jsonl`` is one object per sentence with its article's ``id``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from html import escape
from typing import TextIO

from claimnet.runtime.tagger import TaggedSentence

OUTPUT_FORMATS = ("text", "json", "jsonl", "html")
# One colour per label position, shared by the CLI's HTML and the evaluation reports.
PALETTE = ("#f6c453", "#e7849f", "#6fbf73", "#9aa5b1", "#6d9eeb", "#b48ad6", "#e69a5b", "#5bc0b4")

Document = tuple[str, str]  # (id, text)


def label_colours(labels: Sequence[str], alpha: str = "") -> dict[str, str]:
    """Each label's colour (``alpha`` appended as two hex digits, e.g. ``"66"``)."""
    return {label: PALETTE[i % len(PALETTE)] + alpha for i, label in enumerate(labels)}


def html_page(docs: Sequence[Document], results: Sequence[Sequence[TaggedSentence]], labels: Sequence[str]) -> str:
    """One self-contained page: sentences in their label's colour, probabilities on hover."""
    colour = label_colours(labels, "66")
    legend = " ".join(f'<span class="s" style="background:{colour[name]}">{escape(name)}</span>' for name in labels)
    parts = []
    for (doc_id, text), tagged in zip(docs, results):
        pieces, pos = [], 0
        for s in tagged:
            pieces.append(escape(text[pos : s.start]))
            hover = ", ".join(f"{name} {p:.3f}" for name, p in sorted(s.scores.items(), key=lambda kv: -kv[1]))
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


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


class ResultWriter:
    """Writes tagged sentences the moment they come, for ``text``, ``json`` and ``jsonl``.

    ``json`` comes out exactly as ``json.dump(list, indent=2)`` would write it,
    one sentence at a time. ``ensure_ascii`` writes JSON with ``\\uXXXX`` escapes
    (for a stream that cannot hold all of Unicode); a sentence with a lone
    surrogate is always escaped, since UTF-8 cannot carry it at all. ``headers``
    puts ``==> id <==`` before each article of the text format.
    """

    FLUSH_EVERY = 256

    def __init__(self, fmt: str, out: TextIO, ensure_ascii: bool = False, headers: bool = False) -> None:
        if fmt not in OUTPUT_FORMATS or fmt == "html":
            raise ValueError(f"ResultWriter writes {[f for f in OUTPUT_FORMATS if f != 'html']}, not {fmt!r}")
        self.fmt, self.out, self.ensure_ascii, self.headers = fmt, out, ensure_ascii, headers
        self.documents = 0

    def _json(self, value, indent: int | None = None) -> str:
        text = json.dumps(value, ensure_ascii=self.ensure_ascii, indent=indent)
        return json.dumps(value, ensure_ascii=True, indent=indent) if _has_lone_surrogate(text) else text

    def document(self, doc_id: str, sentences: Iterable[TaggedSentence]) -> int:
        """Write one article's sentences as they are produced; an article without any is left out."""
        written = 0
        out = self.out
        for s in sentences:
            if written == 0:
                self._open(doc_id)
            if self.fmt == "jsonl":
                out.write(self._json({"id": doc_id, **s.to_dict()}) + "\n")
            elif self.fmt == "json":
                out.write(("\n" if written == 0 else ",\n") + textwrap.indent(self._json(s.to_dict(), 2), " " * 6))
            else:
                out.write(f"{s.label:<12} {s.score:.3f}  {s.text}\n")
            written += 1
            if written % self.FLUSH_EVERY == 0:
                out.flush()
        if written and self.fmt == "json":
            out.write("\n    ]\n  }")
        out.flush()
        return written

    def _open(self, doc_id: str) -> None:
        if self.fmt == "json":
            self.out.write(("[\n" if self.documents == 0 else ",\n") + f'  {{\n    "id": {self._json(doc_id)},\n'
                           '    "sentences": [')
        elif self.fmt == "text" and self.headers:
            self.out.write(f"==> {doc_id} <==\n")
        self.documents += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("[]\n" if self.documents == 0 else "\n]\n")
        self.out.flush()


def write_results(fmt: str, docs: Sequence[Document], results: Sequence[Sequence[TaggedSentence]],
                  out: TextIO, labels: Sequence[str] = (), ensure_ascii: bool = False) -> None:
    """Write tagged articles to ``out`` in one of :data:`OUTPUT_FORMATS` (articles without sentences are left out)."""
    if fmt == "html":
        out.write(html_page(docs, results, labels))
        return
    writer = ResultWriter(fmt, out, ensure_ascii=ensure_ascii, headers=len(docs) > 1)
    for (doc_id, _), tagged in zip(docs, results):
        writer.document(doc_id, tagged)
    writer.close()
