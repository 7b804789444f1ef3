"""Output formats of tagged articles: text, json, jsonl and a self-contained HTML page.

``json`` is always a list of ``{id, sentences}`` objects, one per article;
``jsonl`` is one object per sentence with its article's ``id``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import TextIO

from claimnet.runtime.tagger import TaggedSentence

FORMATS = ("text", "json", "jsonl", "html")
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


def write_results(fmt: str, docs: Sequence[Document], results: Sequence[Sequence[TaggedSentence]],
                  out: TextIO, labels: Sequence[str] = (), ensure_ascii: bool = False) -> None:
    """Write tagged articles to ``out`` in one of :data:`FORMATS`.

    ``ensure_ascii`` writes JSON with ``\\uXXXX`` escapes: for a stream that cannot hold all of Unicode,
    and for texts with lone surrogates (which JSON can carry escaped, and UTF-8 cannot at all).
    """
    if fmt == "html":
        out.write(html_page(docs, results, labels))
        return
    if fmt == "json":
        payload = [{"id": doc_id, "sentences": [s.to_dict() for s in tagged]}
                   for (doc_id, _), tagged in zip(docs, results)]
        json.dump(payload, out, ensure_ascii=ensure_ascii, indent=2)
        out.write("\n")
        return
    for (doc_id, _), tagged in zip(docs, results):
        if fmt == "jsonl":
            for s in tagged:
                out.write(json.dumps({"id": doc_id, **s.to_dict()}, ensure_ascii=ensure_ascii) + "\n")
            continue
        if len(docs) > 1:
            out.write(f"==> {doc_id} <==\n")
        for s in tagged:
            out.write(f"{s.label:<12} {s.score:.3f}  {s.text}\n")
