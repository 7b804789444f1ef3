"""Label Studio: its JSON export (a list of tasks) in, and tasks and a labelling config out.

Span results (``type: "labels"``, ``value.start/end/labels``) and per-region
``choices`` label spans; a ``choices`` result without offsets labels the whole
text. Cancelled annotations are skipped; of several annotations on a task the
most recently updated one is used (or ``--annotator ID``), and the count is
reported. ``from_name``/``to_name`` are not assumed: every labels/choices result
is read, and the text is the task's only string field, or ``--text-field``.

Offsets: current Label Studio counts code points, as Python does; versions
before 1.4 counted UTF-16 code units, which differ after an emoji. Where a
result carries its ``text`` and the code-point reading does not match it, the
UTF-16 reading is tried and used when it matches (counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from claimnet.data.alignment import ImportCounts, Span
from claimnet.data.importers import ImportResult, LabelMap, Source, check_span, check_text, import_result
from claimnet.data.jsonl import iter_json_array
from claimnet.errors import DataError
from claimnet.labels import LabelSet
from claimnet.runtime.formats import label_colours

FROM_NAME, TO_NAME = "label", "text"


def _utf16_to_codepoints(text: str) -> list[int]:
    """index[u] = the code-point offset of UTF-16 offset u (for the offsets old Label Studio wrote)."""
    index = []
    for i, ch in enumerate(text):
        index.extend([i] * (2 if ord(ch) > 0xFFFF else 1))
    index.append(len(text))
    return index


def _text_of(task: dict[str, Any], text_field: str | None, where: str) -> tuple[str, str]:
    data = task.get("data")
    if not isinstance(data, dict):
        raise DataError([f"{where}: task has no 'data' object"])
    if text_field:
        if text_field not in data:
            raise DataError([f"{where}: data has no field {text_field!r} (--text-field); it has {sorted(data)}"])
        return text_field, check_text(data[text_field], f"{where}: data.{text_field}")
    strings = [k for k, v in data.items() if isinstance(v, str) and k not in ("id", "article_id", "title", "url",
                                                                           "date", "source", "license")]
    key = "text" if "text" in strings else (strings[0] if len(strings) == 1 else None)
    if key is None:
        raise DataError([f"{where}: cannot tell which data field is the text among {sorted(strings)}; "
                         "pass --text-field NAME"])
    return key, check_text(data[key], f"{where}: data.{key}")


def _annotator_ids(annotation: dict[str, Any]) -> set[str]:
    by = annotation.get("completed_by")
    return {str(by.get("id")), str(by.get("email"))} if isinstance(by, dict) else {str(by)}


def _pick_annotation(task: dict[str, Any], annotator: str | None, where: str, result: ImportResult):
    annotations = task.get("annotations") or task.get("completions") or []
    if not isinstance(annotations, list):
        raise DataError([f"{where}: 'annotations' must be a list"])
    live = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    result.counts.skip("cancelled annotations", len(annotations) - len(live))
    if annotator is not None:
        live = [a for a in live if str(annotator) in _annotator_ids(a)]
    if not live:
        return None
    if len(live) > 1:
        result.counts.skip("older annotations on tasks with several annotators", len(live) - 1)
    return max(enumerate(live), key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""),
                                               ia[0]))[1]


def _spans(text: str, annotation: dict[str, Any], label_map: LabelMap, where: str,
           result: ImportResult) -> list[Span]:
    spans: list[Span] = []
    utf16 = None
    for r, item in enumerate(annotation.get("result") or []):
        here = f"{where} result {r}"
        if not isinstance(item, dict):
            raise DataError([f"{here}: expected an object, got {type(item).__name__}"])
        kind = item.get("type")
        if kind not in ("labels", "choices"):
            result.counts.skip(f"results of type {kind!r}")
            continue
        value = item.get("value")
        if not isinstance(value, dict):
            raise DataError([f"{here}: a {kind!r} result needs a 'value' object"])
        names = value.get(kind)
        if not isinstance(names, list) or not names:
            raise DataError([f"{here}: value.{'labels' if kind == 'labels' else 'choices'} must be a non-empty list"])
        if "start" not in value and kind == "choices":
            start, end = 0, len(text)
        else:
            start, end, quoted = value.get("start"), value.get("end"), value.get("text")
            try:
                start, end = check_span(text, start, end, here, quoted)
            except DataError:
                if quoted is None or not all(isinstance(v, int) for v in (start, end)):
                    raise
                utf16 = utf16 or _utf16_to_codepoints(text)
                if not (0 <= start < end < len(utf16)) or text[utf16[start]:utf16[end]] != quoted:
                    raise
                start, end = utf16[start], utf16[end]
                result.counts.skip("spans with UTF-16 offsets (old Label Studio), converted", 1)
        for name in names:
            spans.append(Span(start, end, label_map(name, here)))
    return spans


def read(src: Path, labels: LabelSet, label_map: LabelMap | None = None, default: str | None = "background",
         annotator: str | None = None, text_field: str | None = None, max_errors: int = 20,
         stream: bool = False) -> ImportResult:
    """Read a Label Studio JSON export (``[{"id", "data", "annotations"}, ...]``), a task at a time."""
    label_map = label_map or LabelMap(labels)
    result = ImportResult([], ImportCounts())
    problems: list[str] = []

    def sources():
        for t, task in iter_json_array(src, "a Label Studio JSON export (a list of tasks)"):
            where = f"{src}: task {t}"
            try:
                if not isinstance(task, dict):
                    raise DataError([f"{where}: expected an object, got {type(task).__name__}"])
                where = f"{src}: task {t} (id {task.get('id')!r})"
                key, text = _text_of(task, text_field, where)
                annotation = _pick_annotation(task, annotator, where, result)
                if annotation is None:
                    result.counts.skip("tasks without a usable annotation")
                    continue
                data = task["data"]
                art_id = str(data.get("id") or data.get("article_id") or f"ls-{task.get('id', t)}")
                metadata = {k: v for k, v in data.items() if k not in (key, "id", "article_id")}
                yield Source(art_id, text, where, _spans(text, annotation, label_map, where, result),
                             metadata=metadata)
            except DataError as exc:
                problems.extend(exc.problems)

    return import_result(sources(), problems, labels, default, max_errors, result.counts, stream=stream)


def labeling_config(labels: Sequence[str]) -> str:
    """The labelling config XML for claimnet's labels, matching the tasks :func:`tasks` writes."""
    colours = label_colours(labels)
    rows = "\n".join(f"    <Label value={quoteattr(name)} background={quoteattr(colours[name])}/>" for name in labels)
    return (f'<View>\n  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{rows}\n  </Labels>\n'
            f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>\n</View>\n')
