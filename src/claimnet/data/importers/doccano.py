"""doccano: its JSONL exports, in the three shapes in use.

- sequence labelling, current: ``{"text", "label": [[start, end, "Name"], ...]}`` (``"entities"`` with
  ``start_offset``/``end_offset``/``label`` is read too);
- sequence labelling, older: ``{"text", "annotations": [{"label": ID, "start_offset", "end_offset"}]}``,
  whose label ids need ``--label-map 3=claim,...``;
- text classification: one sentence per line, ``"label": ["claim"]``, grouped back into articles by a
  metadata field (``--group-by``, default ``article_id``) in file order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from claimnet.data.alignment import ImportCounts, Span
from claimnet.data.importers import (
    ImportResult,
    LabelMap,
    Source,
    build_articles,
    check_span,
    check_text,
    import_result,
    raise_problems,
)
from claimnet.data.importers.csv_rows import rows_to_source
from claimnet.data.jsonl import check_file, iter_records
from claimnet.errors import DataError
from claimnet.labels import LabelSet


def _span_items(record: dict[str, Any], where: str) -> Iterable[tuple[Any, Any, Any, str]]:
    """(start, end, label, where) of each span, whichever shape the record has."""
    if isinstance(record.get("label"), list) and all(isinstance(x, list) for x in record["label"]):
        for i, item in enumerate(record["label"]):
            if len(item) != 3:
                raise DataError([f"{where} label {i}: expected [start, end, label], got {item!r}"])
            yield item[0], item[1], item[2], f"{where} label {i}"
        return
    for key in ("annotations", "entities"):
        if isinstance(record.get(key), list):
            for i, item in enumerate(record[key]):
                if not isinstance(item, dict) or not {"start_offset", "end_offset", "label"} <= set(item):
                    raise DataError([f"{where} {key} {i}: expected {{label, start_offset, end_offset}}, got {item!r}"])
                yield item["start_offset"], item["end_offset"], item["label"], f"{where} {key} {i}"
            return
    raise DataError([f"{where}: no spans found: expected 'label' as [[start, end, label], ...], "
                     "'annotations' or 'entities'"])


def _is_classification(record: Any) -> bool:
    label = record.get("label") if isinstance(record, dict) else None
    return isinstance(label, list) and bool(label) and all(isinstance(x, str) for x in label)


def read(src: Path, labels: LabelSet, label_map: LabelMap | None = None, default: str | None = "background",
         group_by: str = "article_id", max_errors: int = 20, stream: bool = False) -> ImportResult:
    """Read a doccano JSONL export (sequence labelling or text classification), a line at a time.

    Sequence labelling streams (an article per line); text classification groups its sentence rows into articles
    by ``group_by``, so it holds them all (the rows, not the file).
    """
    label_map = label_map or LabelMap(labels)
    path = check_file(src, "a doccano .jsonl export")
    problems: list[str] = []

    def records():
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise DataError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
        with handle:
            for lineno, record, problem in iter_records(handle, str(src)):
                if problem:
                    problems.append(problem)
                elif not isinstance(record, dict):
                    problems.append(f"{src}:{lineno}: expected a JSON object, got {type(record).__name__}")
                else:
                    yield lineno, record

    rest = records()
    first = next(rest, None)
    if first is not None and _is_classification(first[1]):
        every = [first, *rest]
        raise_problems(problems, max_errors)
        if all(_is_classification(r) for _, r in every):
            return _read_classification(src, every, labels, label_map, group_by, max_errors)
        rest, first = iter(every[1:]), every[0]

    def sources():
        for lineno, record in itertools.chain([first] if first is not None else [], rest):
            where = f"{src}:{lineno}"
            try:
                text = check_text(record.get("text"), where)
                spans = []
                for start, end, label, here in _span_items(record, where):
                    start, end = check_span(text, start, end, here)
                    spans.append(Span(start, end, label_map(label, here)))
                art_id = str(record.get("id") if record.get("id") is not None else f"doccano-{lineno}")
                metadata = {k: v for k, v in record.items()
                            if k not in ("id", "text", "label", "annotations", "entities")}
                yield Source(art_id, text, where, spans, metadata=metadata)
            except DataError as exc:
                problems.extend(exc.problems)

    return import_result(sources(), problems, labels, default, max_errors, stream=stream)


def _read_classification(src: Path, records, labels: LabelSet, label_map: LabelMap, group_by: str,
                         max_errors: int) -> ImportResult:
    groups: dict[str, list[tuple[str, str, str]]] = {}
    problems = []
    counts = ImportCounts()
    for lineno, record in records:
        where = f"{src}:{lineno}"
        try:
            if group_by not in record:
                raise DataError([f"{where}: no {group_by!r} field to group sentences into articles "
                                 f"(--group-by); the record has {sorted(record)}"])
            text = check_text(record.get("text"), where)
            names = record["label"]
            if len(names) > 1:
                counts.several_labels += 1  # precedence: first in the label set's order
            mapped = sorted((label_map(n, where) for n in names), key=list(labels).index)
            groups.setdefault(str(record[group_by]), []).append((text, mapped[0], where))
        except DataError as exc:
            problems.extend(exc.problems)
    raise_problems(problems, max_errors)
    sources = [rows_to_source(art_id, rows, counts) for art_id, rows in groups.items()]
    articles, built = build_articles(sources, labels, None, max_errors)
    counts.add(built)
    counts.labelled_by_span = counts.sentences
    return ImportResult(articles, counts)
