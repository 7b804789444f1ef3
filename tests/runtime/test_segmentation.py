"""Segmentation reproduces the corpus's own sentence offsets, and stays linear on huge paragraphs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimnet.data import load_articles
from claimnet.runtime.segmentation import SegmentationSettings, segment
from helpers import DATA_DIR, LABELS


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_resegmenting_the_corpus_reproduces_every_offset(split):
    articles = load_articles(DATA_DIR / f"{split}.jsonl", LABELS)
    matched = sum(segment(a.text) == [(s.start, s.end) for s in a.sentences] for a in articles)
    rate = matched / len(articles)
    print(f"{split}: {matched}/{len(articles)} articles re-segmented exactly ({rate:.1%})")
    assert rate == 1.0


def test_paragraphs_are_lines_and_sentences_are_stripped():
    text = "Headline here\n\n  First sentence. Second one!  \nThird line"
    spans = segment(text)
    assert [text[s:e] for s, e in spans] == ["Headline here", "First sentence.", "Second one!", "Third line"]


def test_empty_and_blank_text():
    assert segment("") == []
    assert segment(" \n\n \t") == []


def test_overlong_paragraph_is_cut_at_white_space_and_covered():
    sentence = "The council approved the budget on Tuesday after a long debate. "
    text = sentence * 2000 + "x" * 5000 + " end."  # ~130 KB in one paragraph, with a 5,000-char "word"
    spans = segment(text, SegmentationSettings(max_chunk_chars=2000))
    pieces = [text[s:e] for s, e in spans]
    assert pieces[0] == sentence.strip()
    assert all(p == p.strip() and p for p in pieces)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    # every non-space character belongs to exactly one sentence
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert pieces.count(sentence.strip()) >= 1990


def test_span_search_and_cached_patterns_match_pysbd():
    """Our span search and our pattern-caching abbreviation replacer give pysbd's own spans."""
    import pysbd

    from claimnet.runtime.segmentation import _pysbd_spans, _segmenter

    reference = pysbd.Segmenter(language="en", clean=False, char_span=True)
    ours = _segmenter("en")
    paragraphs = [
        "Yes. Yes. Yes.  He said no.\tNo. Yes.",
        "Dr. Smith arrived at 5 p.m. on Jan. 3. He left.   ",
        "“Quoted.” Then more... And (a parenthesis.) Done!? Ok",
        "  leading space. trailing space.  ",
    ]
    for split in ("dev", "test"):
        for article in load_articles(DATA_DIR / f"{split}.jsonl", LABELS):
            paragraphs.extend(line for line in article.text.split("\n") if line.strip())
    for paragraph in paragraphs:
        expected = [(span.start, span.end) for span in reference.segment(paragraph)]
        assert _pysbd_spans(ours, paragraph) == expected, paragraph


def test_segmenting_changes_no_global_state():
    """The runtime keeps its compiled patterns to itself: re's cache size and pysbd stay as they were."""
    import re

    import pysbd.lang.english

    cache_size, replacer = re._MAXCACHE, pysbd.lang.english.English.AbbreviationReplacer
    segment("Dr. Smith arrived at 5 p.m. on Jan. 3. He left.")
    assert re._MAXCACHE == cache_size and pysbd.lang.english.English.AbbreviationReplacer is replacer


_PROSE = None


def _prose() -> str:
    """A few test articles, with their paragraphs, then the same text as one long line."""
    global _PROSE
    if _PROSE is None:
        texts = [a.text for a in load_articles(DATA_DIR / "test.jsonl", LABELS)[:6]]
        _PROSE = "\n".join(texts) + "\n" + " ".join(texts).replace("\n", " ")
    return _PROSE


@given(cuts=st.lists(st.integers(min_value=1, max_value=60_000), max_size=40),
       max_chars=st.sampled_from([200, 333, 2000]), start=st.integers(0, 20_000), size=st.integers(0, 40_000))
def test_text_arriving_in_parts_is_cut_exactly_as_the_whole(cuts, max_chars, start, size):
    """Streaming segmentation: any split of the text into parts gives segment()'s sentences and offsets."""
    from claimnet.runtime.segmentation import iter_sentences

    text = _prose()[start : start + size]
    bounds = sorted({c for c in cuts if c < len(text)})
    parts = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)])]
    settings = SegmentationSettings(max_chunk_chars=max_chars)
    streamed = list(iter_sentences(iter(parts), settings))
    assert [(s, e) for s, e, _ in streamed] == segment(text, settings)
    assert all(sentence == text[s:e] for s, e, sentence in streamed)


def test_streaming_segmentation_holds_a_piece_not_the_input():
    """With one 10 MB line arriving in 1 KB parts, the first sentence comes after at most ~2 pieces have arrived."""
    from claimnet.runtime.segmentation import iter_sentences

    sentence = "The minister said the plan would cost more than expected. "
    consumed = 0

    def parts():
        nonlocal consumed
        for _ in range(10_000):
            consumed += 1
            yield sentence * 17  # ~1 KB, no newline anywhere

    first = next(iter_sentences(parts()))
    assert first[:2] == (0, len(sentence) - 1) and consumed <= 3
