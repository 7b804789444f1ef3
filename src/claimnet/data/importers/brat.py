"""brat standoff: a folder of ``X.txt`` + ``X.ann`` pairs.

``T`` lines are text-bound annotations, discontinuous ones included
(``T1<TAB>Claim 0 5;16 23<TAB>...``: each fragment labels its range). ``A``,
``R``, ``E``, ``N``, ``M`` and ``#`` lines (attributes, relations, events,
normalisations, notes) carry no sentence label and are counted as skipped.
Texts are read as UTF-8 with their line endings kept, as brat counts them.
"""

from __future__ import annotations

from pathlib import Path

from claimnet.data.alignment import ImportCounts, Span
from claimnet.data.importers import ImportResult, LabelMap, Source, check_span, check_text, import_result
from claimnet.errors import DataError
from claimnet.labels import LabelSet

OTHER_LINES = {"A": "attribute lines", "M": "attribute lines", "R": "relation lines", "E": "event lines",
               "N": "normalisation lines", "#": "note lines", "*": "equivalence lines"}


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([f"{path}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]) from None


def _spans(ann: Path, text: str, label_map: LabelMap, counts: ImportCounts) -> list[Span]:
    spans = []
    for lineno, line in enumerate(_decode(ann).splitlines(), start=1):
        where = f"{ann}:{lineno}"
        if not line.strip():
            continue
        kind = line[0]
        if kind != "T":
            if kind not in OTHER_LINES:
                raise DataError([f"{where}: not a brat standoff line (expected T, A, R, E, N, M, # or *)"])
            counts.skip(OTHER_LINES[kind])
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise DataError([f"{where}: a T line needs ID<TAB>TYPE START END[;START END...]<TAB>TEXT"])
        head = parts[1].split(" ", 1)
        if len(head) != 2:
            raise DataError([f"{where}: {parts[1]!r} is not TYPE START END"])
        label = label_map(head[0], where)
        fragments = []
        for fragment in head[1].split(";"):
            bounds = fragment.split()
            if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
                raise DataError([f"{where}: fragment {fragment!r} is not START END"])
            fragments.append(check_span(text, int(bounds[0]), int(bounds[1]), where))
        if len(parts) > 2:
            joined = " ".join(text[s:e] for s, e in fragments)
            if parts[2] != joined and parts[2] != "".join(text[s:e] for s, e in fragments):
                raise DataError([f"{where}: the span reads {joined!r} in {ann.with_suffix('.txt').name} but the "
                                 f"annotation says {parts[2]!r}; the offsets do not index this text"])
        spans.extend(Span(s, e, label) for s, e in fragments)
        if len(fragments) > 1:
            counts.skip("discontinuous spans (each fragment labelled)")
    return spans


def read(src: Path, labels: LabelSet, label_map: LabelMap | None = None, default: str | None = "background",
         max_errors: int = 20) -> ImportResult:
    """Read every ``.txt``/``.ann`` pair of a brat folder (sorted by name)."""
    label_map = label_map or LabelMap(labels)
    if not src.is_dir():
        raise DataError([f"{src}: brat standoff is a folder of X.txt + X.ann files; this is not a folder"])
    counts = ImportCounts()
    sources, problems = [], []
    texts = sorted(src.rglob("*.txt"))
    if not texts:
        raise DataError([f"{src}: holds no .txt files"])
    for txt in texts:
        ann = txt.with_suffix(".ann")
        try:
            if not ann.is_file():
                raise DataError([f"{txt}: has no {ann.name} beside it"])
            text = check_text(_decode(txt), str(txt))
            art_id = txt.relative_to(src).with_suffix("").as_posix()
            sources.append(Source(art_id, text, str(ann), _spans(ann, text, label_map, counts)))
        except DataError as exc:
            problems.extend(exc.problems)
    return import_result(sources, problems, labels, default, max_errors, counts)
