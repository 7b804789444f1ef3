"""Cut raw article text into sentences exactly as the corpus was cut.

Paragraphs are newline-separated lines; each is cut with pysbd (``clean=False``,
``char_span=True``) and each sentence is stripped of surrounding white space.
pysbd slows down faster than linearly on very long paragraphs, so a paragraph
longer than ``max_chunk_chars`` is first cut at white space after a
sentence-final mark (or at any white space), keeping the cost linear.

The settings travel in the export's manifest (:class:`SegmentationSettings`), so
a tagger cuts text the way its model's training data was cut; settings this
version cannot reproduce are refused, not approximated.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from claimnet.errors import ModelLoadError

PYSBD_VERSION = "0.3.4"
DEFAULT_MAX_CHUNK_CHARS = 2000
MIN_MAX_CHUNK_CHARS = 200

# What this version can honour; a manifest asking for anything else is refused.
_FIXED = {"splitter": "pysbd", "clean": False, "char_span": True, "paragraphs": "newline", "strip": True}

_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)\]]*\s+")
_WHITESPACE = re.compile(r"\s+")
_local = threading.local()


def supported_languages() -> list[str]:
    from pysbd.languages import LANGUAGE_CODES

    return sorted(LANGUAGE_CODES)


@dataclass(frozen=True)
class SegmentationSettings:
    """How raw text is cut: pysbd's language and the longest chunk handed to pysbd."""

    language: str = "en"
    max_chunk_chars: int = DEFAULT_MAX_CHUNK_CHARS

    def to_manifest(self) -> dict[str, Any]:
        return {**_FIXED, "pysbd_version": PYSBD_VERSION, "language": self.language,
                "max_chunk_chars": self.max_chunk_chars}

    @classmethod
    def from_manifest(cls, recorded: Mapping[str, Any], where: str = "claimnet.json") -> SegmentationSettings:
        """Read recorded settings back, refusing what this claimnet cannot reproduce.

        Version-1 manifests did not record ``max_chunk_chars``; they were cut with 2,000.
        """
        for key, supported in _FIXED.items():
            if key in recorded and recorded[key] != supported:
                raise ModelLoadError(
                    f"{where}: segmentation.{key} is {recorded[key]!r}; this claimnet segments only with "
                    f"{key}={supported!r}"
                )
        version = recorded.get("pysbd_version", PYSBD_VERSION)
        if version != PYSBD_VERSION:
            raise ModelLoadError(
                f"{where}: segmentation.pysbd_version is {version!r}; this claimnet segments with pysbd "
                f"{PYSBD_VERSION}, which may cut sentences differently. Re-export the model with this claimnet."
            )
        language = recorded.get("language", "en")
        if language not in supported_languages():
            raise ModelLoadError(
                f"{where}: segmentation.language {language!r} is not one of pysbd's languages "
                f"{supported_languages()}"
            )
        chunk = recorded.get("max_chunk_chars", DEFAULT_MAX_CHUNK_CHARS)
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < MIN_MAX_CHUNK_CHARS:
            raise ModelLoadError(
                f"{where}: segmentation.max_chunk_chars must be an int >= {MIN_MAX_CHUNK_CHARS}. Got {chunk!r} instead."
            )
        return cls(language=language, max_chunk_chars=chunk)


DEFAULT_SETTINGS = SegmentationSettings()


# pysbd builds its abbreviation regexes from strings on every call (several per
# abbreviation found in the text). Through ``re``'s own cache of 512 patterns they
# are compiled again and again (60% of pysbd's time on the test split). This
# private cache keeps them compiled without touching ``re``'s global state or
# pysbd's modules: 1.7x the sentences/s, same output (tests/runtime/test_segmentation.py).
@lru_cache(maxsize=8192)
def _compiled(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags)


def _cached_replacer(base: type) -> type:
    """pysbd's ``AbbreviationReplacer`` for a language, with its per-call patterns cached.

    The method bodies follow pysbd 0.3.4 (pinned) line for line; only the
    pattern lookups go through :func:`_compiled`.
    """

    class CachedAbbreviationReplacer(base):
        def search_for_abbreviations_in_string(self, text):
            lowered = text.lower()
            for abbr in self.lang.Abbreviation.ABBREVIATIONS:
                stripped = abbr.strip()
                if stripped not in lowered:
                    continue
                abbrev_match = _compiled(rf"(?:^|\s|\r|\n){stripped}", re.IGNORECASE).findall(text)
                if not abbrev_match:
                    continue
                next_word_start = r"(?<={" + str(re.escape(stripped)) + "} ).{1}"
                char_array = _compiled(next_word_start).findall(text)
                for ind, match in enumerate(abbrev_match):
                    text = self.scan_for_replacements(text, match, ind, char_array)
            return text

        def scan_for_replacements(self, txt, am, ind, char_array):
            char = char_array[ind] if ind < len(char_array) else ""
            prepositive = self.lang.Abbreviation.PREPOSITIVE_ABBREVIATIONS
            number_abbr = self.lang.Abbreviation.NUMBER_ABBREVIATIONS
            key = am.strip().lower()
            if not str(char).isupper() or key in prepositive:
                if key in prepositive:
                    pattern = rf"(?<=\s{am.strip()})\.(?=(\s|:\d+))"
                elif key in number_abbr:
                    pattern = rf"(?<=\s{am.strip()})\.(?=(\s\d|\s+\())"
                else:
                    pattern = rf"(?<=\s{re.escape(am.strip())})\.(?=((\.|\:|-|\?|,)|(\s([a-z]|I\s|I'm|I'll|\d|\())))"
                txt = _compiled(pattern).sub("∯", " " + txt)[1:]
            return txt

    return CachedAbbreviationReplacer


def _segmenter(language: str):
    # pysbd keeps per-call state on the Segmenter, so each thread gets its own per language.
    cache = getattr(_local, "segmenters", None)
    if cache is None:
        cache = _local.segmenters = {}
    seg = cache.get(language)
    if seg is None:
        import pysbd
        from pysbd.abbreviation_replacer import AbbreviationReplacer

        seg = pysbd.Segmenter(language=language, clean=False, char_span=True)
        lang = seg.language_module
        replacer = getattr(lang, "AbbreviationReplacer", AbbreviationReplacer)
        # A subclass of the language, private to this segmenter: pysbd itself is untouched.
        seg.language_module = type(lang.__name__, (lang,), {"AbbreviationReplacer": _cached_replacer(replacer)})
        cache[language] = seg
    return seg


def _pysbd_spans(seg, text: str) -> list[tuple[int, int]]:
    """pysbd's ``segment(text)`` with ``char_span=True``, without its per-sentence regexes.

    pysbd locates each sentence with ``re.finditer(re.escape(sent) + r"\\s*", text)``,
    taking the first match that ends after the previous one. This does the same
    search with ``str.find`` (the tests check it against pysbd).
    """
    if not text:
        return []
    spans: list[tuple[int, int]] = []
    prior_end = 0
    n = len(text)
    for sent in seg.processor(text).process():
        pos = 0
        while (start := text.find(sent, pos)) >= 0:
            end = start + len(sent)
            while end < n and text[end].isspace():
                end += 1
            if end > prior_end:
                spans.append((start, end))
                prior_end = end
                break
            pos = end if end > start else start + 1
    return spans


def _first_cut(window: str, max_chars: int) -> int:
    """Where to end the first piece of a paragraph longer than ``max_chars`` whose start is ``window``."""
    cut = None
    for m in _SENTENCE_BREAK.finditer(window):
        if m.end() > max_chars // 4:
            cut = m.end()
    if cut is None:
        for m in _WHITESPACE.finditer(window):
            if m.end() > max_chars // 4:
                cut = m.end()
    return max_chars if cut is None else cut  # no white space: one very long "word", cut hard


def _strippable(ch: str) -> bool:
    # A byte-order mark is not white space to Python, but it is no part of a sentence either.
    return ch.isspace() or ch == "\ufeff"


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and _strippable(text[start]):
        start += 1
    while end > start and _strippable(text[end - 1]):
        end -= 1
    return start, end


def _pieces(parts: Iterable[str], max_chars: int) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` for every non-blank piece of text pysbd gets, reading ``parts`` as they come.

    Each newline-separated paragraph is one piece, or, when longer than
    ``max_chars``, pieces cut by :func:`_first_cut` one after the other. A piece is
    decided as soon as the text up to its end (or ``max_chars`` past its start)
    has arrived, so only that much is held, whatever the input's size.
    """
    buf, pos, base = "", 0, 0  # buf[pos:] is not cut yet; base is the offset of buf[0]
    parts = iter(parts)
    done = False
    while not done:
        part = next(parts, None)
        if part is None:
            done = True
        else:
            if not isinstance(part, str):
                raise TypeError(f"text parts must be str, got {type(part).__name__}")
            buf, base, pos = buf[pos:] + part, base + pos, 0
        while pos < len(buf):
            newline = buf.find("\n", pos, pos + max_chars + 1)
            if newline >= 0:  # the rest of this paragraph fits in one piece
                piece, cut = buf[pos:newline], newline + 1
            elif len(buf) - pos > max_chars:  # the paragraph goes on past max_chars
                cut = pos + _first_cut(buf[pos : pos + max_chars], max_chars)
                piece = buf[pos:cut]
            elif done:  # the last paragraph, without a final newline
                piece, cut = buf[pos:], len(buf)
            else:
                break  # wait for more text
            if piece.strip():
                yield base + pos, piece
            pos = cut


def iter_sentences(parts: Iterable[str], settings: SegmentationSettings = DEFAULT_SETTINGS
                   ) -> Iterator[tuple[int, int, str]]:
    """``(start, end, sentence)`` of text arriving in ``parts`` (a str is one part), as soon as each is cut.

    Offsets index the whole text, as :func:`segment` gives them for the joined parts.
    """
    if isinstance(parts, str):
        parts = (parts,)
    seg = _segmenter(settings.language)
    for base, piece in _pieces(parts, settings.max_chunk_chars):
        for p_start, p_end in _pysbd_spans(seg, piece):
            s, e = _strip_span(piece, p_start, p_end)
            if e > s:
                yield base + s, base + e, piece[s:e]


def segment(text: str, settings: SegmentationSettings = DEFAULT_SETTINGS) -> list[tuple[int, int]]:
    """Return ``(start, end)`` character offsets of the sentences of ``text``."""
    return [(s, e) for s, e, _ in iter_sentences(text, settings)]
