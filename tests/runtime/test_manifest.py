"""The manifest is in charge of inference: version 1 still loads, recorded settings are used, the rest is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from claimnet import ClaimTagger, ModelLoadError
from claimnet.exporters.manifest import seal
from claimnet.runtime.segmentation import DEFAULT_SETTINGS, SegmentationSettings, segment
from helpers import FIXTURES, V1_EXPORT, rewrite_manifest


def test_a_version_1_export_still_loads_and_tags_as_it_did():
    expected = json.loads((FIXTURES / "v1-expected.json").read_text(encoding="utf-8"))
    for backend in ("onnx", "torch"):
        tagger = ClaimTagger.load(V1_EXPORT, backend=backend, precision="fp32")
        assert tagger.manifest["model"] == {"kind": "sentence", "base_model": "tiny-random-bert (test fixture)",
                                            "context_window": 1, "max_length": 48}
        assert tagger.context_window == 1 and tagger.segmentation == DEFAULT_SETTINGS
        got = [s.to_dict() for s in tagger.tag(expected["text"])]
        assert [(s["start"], s["end"], s["label"]) for s in got] == \
            [(s["start"], s["end"], s["label"]) for s in expected["sentences"]]
        for ours, theirs in zip(got, expected["sentences"]):
            np.testing.assert_allclose([ours["scores"][k] for k in theirs["scores"]], list(theirs["scores"].values()),
                                       atol=1e-5)


def test_recorded_settings_that_differ_from_the_defaults_are_the_ones_used(tmp_path):
    settings = SegmentationSettings(language="de", max_chunk_chars=300)
    tagger = ClaimTagger.load(rewrite_manifest(tmp_path, settings, context_window=2))
    assert tagger.segmentation == settings and tagger.context_window == 2 and tagger.encoder.max_length == 40
    # One 500-character sentence: pysbd keeps it whole; cut at 300 characters it becomes two.
    text = "Der Rat hat den Haushalt " + "und noch mehr Worte " * 24 + "beschlossen. Dann ging er."
    assert len(segment(text)) == 2
    spans = [(s.start, s.end) for s in tagger.tag(text)]
    assert spans == segment(text, settings) and len(spans) == 3


@pytest.mark.parametrize("override, message", [
    ({"model__kind": "paragraph"}, r"model.kind 'paragraph' is not one this claimnet can run \(it runs \['sentence', 'article'\]\)"),
    ({"model__kind": "article"}, r"an article model needs model.window and model.stride"),
    ({"segmentation__splitter": "spacy"}, r"segmentation.splitter is 'spacy'; this claimnet segments only with splitter='pysbd'"),
    ({"segmentation__pysbd_version": "0.3.3"}, r"segmentation.pysbd_version is '0.3.3'; this claimnet segments with pysbd 0.3.4"),
    ({"segmentation__language": "xx"}, r"segmentation.language 'xx' is not one of pysbd's languages \[.*'en'"),
    ({"segmentation__max_chunk_chars": 10}, r"segmentation.max_chunk_chars must be an int >= 200. Got 10 instead."),
    ({"model__context_window": -1}, r"model.context_window must be an int in \[0, 20\]. Got -1 instead."),
    ({"tokenizer__vocab_sha256": "0" * 64}, r"tokenizer.vocab_sha256 is '0000.*the tokenizer is not the one"),
])
def test_an_export_this_claimnet_cannot_honour_is_refused_with_what_it_supports(tmp_path, override, message):
    export = rewrite_manifest(tmp_path, DEFAULT_SETTINGS, **override)
    with pytest.raises(ModelLoadError, match=message):
        ClaimTagger.load(export)


def test_an_unknown_format_version_names_the_readable_ones(tmp_path):
    export = rewrite_manifest(tmp_path, DEFAULT_SETTINGS)
    manifest = json.loads((export / "claimnet.json").read_text())
    manifest["format_version"] = 4
    (export / "claimnet.json").write_text(json.dumps(seal(manifest)))
    with pytest.raises(ModelLoadError, match=r"format_version 4 is not supported by this claimnet \(it reads \[1, 2, 3\]\)"):
        ClaimTagger.load(export)


def _edit_manifest(export, edit):
    """Edit the manifest and re-seal it, as a deliberate (or buggy) writer would: the cross-checks must catch it."""
    path = export / "claimnet.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(seal(manifest)))


def test_a_manifest_edited_after_export_is_refused(tmp_path):
    export = rewrite_manifest(tmp_path, context_window=1)
    path = export / "claimnet.json"
    manifest = json.loads(path.read_text())
    manifest["model"]["context_window"] = 2  # a valid value, but not the one the model was trained with
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match=r"claimnet.json: edited after export \(its own checksum"):
        ClaimTagger.load(export)
    manifest["model"]["context_window"] = 1  # back as exported: key order alone does not count
    path.write_text(json.dumps(dict(reversed(list(manifest.items())))))
    assert ClaimTagger.load(export).context_window == 1


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(labels=["hedge", "attribution", "claim", "background"]),
     r"labels \['hedge', 'attribution', 'claim', 'background'\] do not match config.json's id2label"),
    (lambda m: m.update(labels=["a", "b", "c"]), r"labels lists 3 labels but the model outputs 4 scores"),
    (lambda m: m["model"].update(max_length=100), r"model.max_length 100 is more than the model's 64 positions"),
    (lambda m: m["model"].update(context_window=1.7), r"model.context_window must be an int in \[0, 20\]"),
    (lambda m: m["model"].update(max_length=10**12), r"model.max_length must be an int in \[8, 4096\]"),
    (lambda m: m.update(files=["config.json"]), r"files must map each file name to its SHA-256"),
    (lambda m: m.update(files={"config.json": 5}), r"files must map each file name to its SHA-256"),
    (lambda m: m.update(tokenizer={**m["tokenizer"], "pad_token_id": 3}),
     r"tokenizer.pad_token_id 3 differs from config.json's pad_token_id 0"),
    (lambda m: m.update(labels=["a", "a"]), r"labels must be a list of at least 2 distinct non-empty strings"),
])
def test_a_manifest_that_disagrees_with_the_model_files_is_refused_by_name(tmp_path, edit, message):
    export = rewrite_manifest(tmp_path, context_window=1)
    _edit_manifest(export, edit)
    for backend in ("onnx", "torch"):
        with pytest.raises(ModelLoadError, match=message):
            ClaimTagger.load(export, backend=backend, precision="fp32")


@pytest.mark.parametrize("content", [b"[1, 2]", b"[" * 100_000, b"\xff\xfe", b"{" + b" " * (2 << 20) + b"}"])
def test_manifests_of_the_wrong_shape_or_size_are_refused(tmp_path, content):
    export = rewrite_manifest(tmp_path)
    (export / "claimnet.json").write_bytes(content)
    with pytest.raises(ModelLoadError, match="claimnet.json: "):
        ClaimTagger.load(export)


def test_a_manifest_that_is_not_a_regular_file_is_refused(tmp_path):
    import os

    export = rewrite_manifest(tmp_path)
    (export / "claimnet.json").unlink()
    os.mkfifo(export / "claimnet.json")
    with pytest.raises(ModelLoadError, match="is not a regular file"):
        ClaimTagger.load(export)


def test_onnx_external_data_is_checksummed_and_verified_like_the_graph(tmp_path):
    """A graph whose weights sit beside it (as exports past 2 GB are written): listed, verified, refused when altered."""
    import onnx

    from claimnet import ClaimTagger
    from claimnet.runtime.backends import choose_backend
    from helpers import rewrite_manifest

    export = rewrite_manifest(tmp_path, context_window=0)
    before = ClaimTagger.load(export, backend="onnx", precision="fp32").tag("The mayor said it was over. It may rain.")
    graph = export / "onnx" / "model.onnx"
    whole = graph.stat().st_size
    onnx.save(onnx.load(str(graph)), str(graph), save_as_external_data=True, all_tensors_to_one_file=True,
              location="model.onnx.data", size_threshold=1024)
    moved = (export / "onnx" / "model.onnx.data").stat().st_size
    assert moved > 10_000 and graph.stat().st_size < whole - moved // 2
    rewrite_manifest(tmp_path, context_window=0)
    manifest = json.loads((export / "claimnet.json").read_text())
    assert "onnx/model.onnx.data" in manifest["files"]
    assert "onnx/model.onnx.data" in choose_backend(manifest, "onnx", "fp32")[2]
    after = ClaimTagger.load(export, backend="onnx", precision="fp32").tag("The mayor said it was over. It may rain.")
    assert [s.label for s in after] == [s.label for s in before]
    data = export / "onnx" / "model.onnx.data"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(ModelLoadError, match=r"model\.onnx\.data: SHA-256 .* does not match the manifest"):
        ClaimTagger.load(export, backend="onnx", precision="fp32")
