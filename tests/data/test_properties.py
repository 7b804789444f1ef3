"""Property tests: any corruption of a valid file loads or ends in claimnet's own DataError with a location.

The loader, ``validate`` and every importer get the same kinds of damage:
truncated lines, flipped bytes, offsets replaced by other numbers or types,
invalid UTF-8, duplicated lines, deleted keys. The command line turns each into
exit 0, 1 or 2, never a traceback.
"""

from __future__ import annotations

import json
import shutil

from hypothesis import given
from hypothesis import strategies as st

from claimnet.cli import main
from claimnet.data import load_articles
from claimnet.data.audit import validate_files
from claimnet.data.importers import import_source
from claimnet.errors import DataError
from claimnet.labels import DEFAULT_LABELS, LabelSet
from helpers import DATA_DIR, FIXTURES

LABELS = LabelSet.from_names(DEFAULT_LABELS)
VALID = b"".join(open(DATA_DIR / "dev.jsonl", "rb").readlines()[:2])
ODD_VALUES = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=5), st.none(),
                       st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                             st.integers(), max_size=2))


@st.composite
def corrupted(draw, valid: bytes) -> bytes:
    """One or more kinds of damage done to ``valid``."""
    data = valid
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "flip", "value", "bad_utf8", "duplicate", "drop_key"]))
        if kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
        elif kind == "bad_utf8":
            i = draw(st.integers(0, len(data)))
            data = data[:i] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])) + data[i:]
        elif kind == "duplicate":
            lines = data.split(b"\n")
            data = b"\n".join([*lines, draw(st.sampled_from(lines))])
        elif kind in ("value", "drop_key"):
            try:
                doc = json.loads(data.decode("utf-8").split("\n")[0])
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            data = json.dumps(_mutate(draw, doc, kind), ensure_ascii=draw(st.booleans())).encode() + b"\n" + data
    return data


def _mutate(draw, node, kind):
    """Replace one value (or drop one key) somewhere inside a decoded JSON document."""
    path = []
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        path.append((node, key))
        node = node[key]
    if not path:
        return draw(ODD_VALUES)
    parent, key = path[-1]
    if kind == "drop_key" and isinstance(parent, dict):
        del parent[key]
    else:
        parent[key] = draw(ODD_VALUES)
    return path[0][0]


def located(exc: DataError, name: str) -> bool:
    return all(name in p or "source holds no articles" in p for p in exc.problems)


@given(corrupted(VALID))
def test_the_loader_and_validate_load_or_raise_a_located_data_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("p") / "articles.jsonl"
    path.write_bytes(data)
    try:
        load_articles(path, LABELS.names)
    except DataError as exc:
        assert located(exc, "articles.jsonl"), exc.problems
    report = validate_files([path], LABELS)  # collects instead of raising
    assert all("articles.jsonl" in e for e in report.errors)
    assert main(["data", "validate", str(path)]) in (0, 1)


TOOL_FILES = {"labelstudio": "labelstudio.json", "doccano": "doccano_spans.jsonl", "csv": "sentences.csv"}


@given(st.sampled_from(sorted(TOOL_FILES)), st.data())
def test_every_importer_loads_or_raises_a_located_data_error(tmp_path_factory, tool, data):
    source = (FIXTURES / "tools" / TOOL_FILES[tool]).read_bytes()
    path = tmp_path_factory.mktemp("p") / TOOL_FILES[tool]
    path.write_bytes(data.draw(corrupted(source)))
    options = {"label_map": None}
    if tool == "csv":
        options["columns"] = {"article_id": "doc", "sentence": "text", "label": "tag"}
    try:
        import_source(tool, path, LABELS, **options)
    except DataError as exc:
        assert located(exc, TOOL_FILES[tool].split(".")[0]), exc.problems
    code = main(["data", "import", "--from", tool, str(path), "-o", str(path.with_suffix(".out.jsonl"))])
    assert code in (0, 2)


@given(corrupted((FIXTURES / "tools" / "brat" / "crlf.ann").read_bytes()))
def test_brat_loads_or_raises_a_located_data_error(tmp_path_factory, ann):
    folder = tmp_path_factory.mktemp("brat")
    shutil.copy(FIXTURES / "tools" / "brat" / "crlf.txt", folder / "crlf.txt")
    (folder / "crlf.ann").write_bytes(ann)
    try:
        import_source("brat", folder, LABELS)
    except DataError as exc:
        assert located(exc, "crlf"), exc.problems
