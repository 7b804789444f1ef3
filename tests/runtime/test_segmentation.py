"""Segmentation reproduces the corpus's own sentence offsets, and stays linear on huge paragraphs."""

from __future__ import annotations

import pytest

from claimnet.data import load_articles
from claimnet.runtime.segmentation import SegmentationSettings, segment
from conftest import DATA_DIR, LABELS


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
