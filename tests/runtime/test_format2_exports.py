"""Exports written by the claimnet of manifest format 2 keep loading and keep their answers.

``tests/fixtures/v2-sentence`` (temperature 1.7, kept biases, int8) and
``v2-article`` were written by that claimnet (``fixtures/make_v2_exports.py``);
``v2-expected.json`` is what each of its routes tagged. Format 2 leaves
calibration to the runtime, so these fixtures also prove the runtime still applies it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from claimnet.runtime.manifest import read_manifest
from claimnet.runtime.tagger import ClaimTagger

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = json.loads((FIXTURES / "v2-expected.json").read_text(encoding="utf-8"))
ROUTES = [(kind, route) for kind in ("sentence", "article") for route in EXPECTED[kind]]


@pytest.mark.parametrize(("kind", "route"), ROUTES, ids=[f"{k}-{r}" for k, r in ROUTES])
def test_a_format_2_export_tags_as_it_did(kind: str, route: str) -> None:
    backend, precision = route.split("-")
    if backend == "torch":
        pytest.importorskip("torch")
    tagger = ClaimTagger.load(FIXTURES / f"v2-{kind}", backend=backend, precision=precision)
    tolerance = 1e-3 if precision == "int8" else 1e-4
    for text, expected in zip(EXPECTED["texts"], EXPECTED[kind][route], strict=True):
        got = [s.to_dict() for s in tagger.tag(text)]
        assert [(s["start"], s["end"], s["label"]) for s in got] == [
            (s["start"], s["end"], s["label"]) for s in expected]
        labels = list(expected[0]["scores"])
        np.testing.assert_allclose([[s["scores"][k] for k in labels] for s in got],
                                   [[s["scores"][k] for k in labels] for s in expected], atol=tolerance)


@pytest.mark.parametrize("kind", ["sentence", "article"])
def test_the_fixtures_are_format_2_with_calibration_for_the_runtime(kind: str) -> None:
    manifest = read_manifest(FIXTURES / f"v2-{kind}")
    assert manifest["format_version"] == 2
    assert manifest["calibration"]["temperature"] == EXPECTED["temperature"]
    assert manifest["calibration"]["decision_biases"]["biases"] == EXPECTED["biases"]
    tagger = ClaimTagger.load(FIXTURES / f"v2-{kind}", backend="onnx", precision="fp32")
    assert tagger.temperature == EXPECTED["temperature"]
