"""CSV: one sentence per row (``article_id,sentence,label`` by default, column names configurable).

Rows stay sentences, in file order. Each article's text is rebuilt with one
row per line, so claimnet's segmenter cuts it back at the same places (a
paragraph break is always a sentence break); a row the segmenter would cut
further is counted, and refused with ``--strict``, since a tagger would see
it as several sentences.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from claimnet.data.alignment import ImportCounts
from claimnet.data.articles import Sentence
from claimnet.data.importers import ImportResult, LabelMap, Source, check_text, import_result
from claimnet.data.jsonl import read_bytes
from claimnet.errors import DataError
from claimnet.labels import LabelSet
from claimnet.runtime.segmentation import segment

DEFAULT_COLUMNS = {"article_id": "article_id", "sentence": "sentence", "label": "label"}


def rows_to_source(art_id: str, rows: list[tuple[str, str, str]], counts: ImportCounts,
                   strict: bool = False) -> Source:
    """An article from its ``(sentence, label, where)`` rows: one row per line of the rebuilt text."""
    parts, sentences, offset = [], [], 0
    for sentence, label, where in rows:
        flat = sentence.strip().replace("\r\n", " ").replace("\n", " ").replace("\r", " ")  # one line per row
        if not flat:
            raise DataError([f"{where}: the sentence is empty"])
        pieces = len(segment(flat))
        if pieces > 1:
            if strict:
                raise DataError([f"{where}: claimnet's segmenter cuts this row into {pieces} "
                                 "sentences (--strict); split the row"])
            counts.skip("rows the segmenter would cut into several sentences (kept whole)")
        parts.append(flat)
        sentences.append(Sentence(offset, offset + len(flat), label))
        offset += len(flat) + 1
    return Source(art_id, "\n".join(parts), rows[0][2], sentences=sentences)


def read(src: Path, labels: LabelSet, label_map: LabelMap | None = None, default: str | None = "background",
         columns: dict[str, str] | None = None, strict: bool = False, max_errors: int = 20) -> ImportResult:
    """Read a CSV of sentences; ``columns`` maps ``article_id``/``sentence``/``label`` to the file's names."""
    label_map = label_map or LabelMap(labels)
    names = {**DEFAULT_COLUMNS, **(columns or {})}
    raw = read_bytes(src, "a .csv file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([f"{src}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [names[k] for k in DEFAULT_COLUMNS if names[k] not in (reader.fieldnames or [])]
    if missing:
        raise DataError([f"{src}: no column(s) {missing}; the header is {reader.fieldnames}. "
                         "Name the columns with --columns article_id=...,sentence=...,label=..."])
    groups: dict[str, list[tuple[str, str, str]]] = {}
    problems = []
    try:
        first_line = reader.line_num + 1  # the line a record starts on (a quoted field may span lines)
        for row in reader:
            where = f"{src}:{first_line}"
            first_line = reader.line_num + 1
            try:
                sentence = check_text(row[names["sentence"]], where)
                label = label_map((row[names["label"]] or "").strip(), where)
                groups.setdefault(row[names["article_id"]], []).append((sentence, label, where))
            except DataError as exc:
                problems.extend(exc.problems)
    except csv.Error as exc:
        problems.append(f"{src}:{reader.line_num}: not valid CSV ({exc})")
    counts = ImportCounts()
    sources = []
    for art_id, rows in groups.items():
        try:
            sources.append(rows_to_source(art_id, rows, counts, strict))
        except DataError as exc:
            problems.extend(exc.problems)
    result = import_result(sources, problems, labels, default, max_errors, counts)
    result.counts.labelled_by_span = result.counts.sentences  # each row is labelled
    return result
