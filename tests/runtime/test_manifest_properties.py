"""Property test: a mutated manifest is refused with claimnet's own error, or tags exactly as the original."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimnet import ClaimnetError, ClaimTagger
from helpers import rewrite_manifest

TEXT = "Police said two people were hurt. The bridge may reopen in May.\nOfficials expect 300 visitors."
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**13), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=6), st.lists(st.integers(0, 3), max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    export = rewrite_manifest(tmp_path_factory.mktemp("m"), context_window=1)
    manifest = json.loads((export / "claimnet.json").read_text())
    expected = [s.to_dict() for s in ClaimTagger.load(export, backend="onnx").tag(TEXT)]
    return export, manifest, expected


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


@st.composite
def mutations(draw, manifest):
    doc = json.loads(json.dumps(manifest))
    targets = [p for p in paths(doc) if p]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(targets))
        parent = doc
        for key in path[:-1]:
            parent = parent[key] if isinstance(parent, dict) and key in parent or (
                isinstance(parent, list) and isinstance(key, int) and key < len(parent)) else None
            if parent is None:
                break
        if parent is None:
            continue
        key = path[-1]
        how = draw(st.sampled_from(["value", "delete", "nest", "reverse"]))
        try:
            if how == "value":
                parent[key] = draw(VALUES)
            elif how == "delete" and isinstance(parent, dict):
                del parent[key]
            elif how == "nest":
                parent[key] = {"x": parent[key]}
            elif how == "reverse" and isinstance(parent[key], list):
                parent[key] = list(reversed(parent[key]))
        except (KeyError, IndexError, TypeError):
            continue
    if draw(st.booleans()):  # key order must not matter
        doc = dict(reversed(list(doc.items())))
    return doc


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_mutation_is_refused_by_name_or_changes_nothing(original, tmp_path_factory, data):
    export, manifest, expected = original
    mutated = data.draw(mutations(manifest))
    copy = tmp_path_factory.mktemp("x") / "export"
    shutil.copytree(export, copy)
    (copy / "claimnet.json").write_text(json.dumps(mutated))
    try:
        tagger = ClaimTagger.load(copy, backend="onnx")
        got = [s.to_dict() for s in tagger.tag(TEXT)]
    except ClaimnetError as exc:
        assert "claimnet.json" in str(exc) or "onnx" in str(exc) or "SHA-256" in str(exc), str(exc)
        return
    assert got == expected, json.dumps(mutated)[:500]
