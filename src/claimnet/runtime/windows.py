"""How an article model reads an article: windows of sentences, and where paragraphs begin.

An article of up to ``size`` sentences is one window. A longer one is read in
windows starting every ``stride`` sentences (``size`` = 2 x ``stride``), and each
sentence takes its label from the window in which it sits nearest the middle, at
least ``stride / 2`` sentences from either edge (except at the article's ends).
Training and every runtime path cut windows here, so they see the same context.
"""

from __future__ import annotations

from collections.abc import Sequence


def windows(n: int, size: int, stride: int) -> tuple[list[tuple[int, int]], list[int]]:
    """The windows ``(start, end)`` over ``n`` sentences, and for each sentence the window that labels it."""
    if n <= size:
        return [(0, n)], [0] * n
    if size < 2 * stride or stride < 2:
        raise ValueError(f"article windows need size >= 2 x stride and stride >= 2. Got size {size}, stride {stride}.")
    owner = [max(0, (i - stride // 2) // stride) for i in range(n)]
    spans = [(k * stride, min(n, k * stride + size)) for k in range(owner[-1] + 1)]
    return spans, owner


def paragraph_starts(text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """1 for each sentence that opens a paragraph (the first, or one after a line break), else 0."""
    out, previous = [], None
    for start, end in spans:
        out.append(1 if previous is None or "\n" in text[previous:start] else 0)
        previous = end
    return out


def one_paragraph(n: int) -> list[int]:
    """The flags of ``n`` sentences given without their text: one paragraph."""
    return [1] + [0] * (n - 1) if n else []
