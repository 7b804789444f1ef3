"""The exported runtime: ONNX parity with torch, int8 gate, no torch import, threads, big inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from claimnet import ClaimTagger, ModelLoadError
from helpers import LABELS, run_cli


def sentences_of_many_shapes(article: dict) -> list[tuple[str, None]]:
    text = article["text"]
    sents = [text[s["start"] : s["end"]] for s in article["sentences"]]
    long = " ".join(sents)[:2000]  # longer than max_length: truncated
    return [(s, None) for s in [*sents, long, "Yes.", "word " * 3]]


def test_onnx_fp32_matches_torch_on_shapes_the_export_never_saw(export_dir, test_article):
    pairs = sentences_of_many_shapes(test_article)
    torch_tagger = ClaimTagger.load(export_dir, backend="torch", precision="fp32")
    for batch_size in (1, 3, 17):
        onnx_tagger = ClaimTagger.load(export_dir, backend="onnx", precision="fp32", batch_size=batch_size)
        np.testing.assert_allclose(onnx_tagger.predict_proba(pairs), torch_tagger.predict_proba(pairs), atol=1e-4)


@pytest.mark.parametrize("gpu", [False, True])
def test_auto_backend_is_int8_onnx_on_a_cpu_and_torch_on_a_gpu(export_dir, monkeypatch, gpu):
    """Holds on any machine: the GPU probe is fixed, so the test checks the choice, not the host."""
    from claimnet.runtime import backends

    monkeypatch.setattr(backends, "gpu_present", lambda: gpu)
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    backend, precision, files = backends.choose_backend(manifest, "auto", "auto")
    assert (backend, precision) == (("torch", "auto") if gpu else ("onnx", "int8"))
    assert files == (["config.json", "model.safetensors", "tokenizer.json"] if gpu
                     else ["onnx/model.int8.onnx", "tokenizer.json"])


def test_int8_agrees_with_fp32(export_dir, test_article):
    int8 = ClaimTagger.load(export_dir, backend="onnx", precision="int8")
    fp32 = ClaimTagger.load(export_dir, backend="onnx", precision="fp32")
    pairs = sentences_of_many_shapes(test_article)
    agreement = (int8.predict_proba(pairs).argmax(1) == fp32.predict_proba(pairs).argmax(1)).mean()
    assert agreement >= 0.9


def test_manifest_records_int8_figures(export_dir):
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    int8 = manifest["int8"]
    assert int8["included"] and int8["macro_f1_drop"] <= int8["max_drop"] == 0.005
    low, high = int8["macro_f1_drop_interval"]
    assert low <= high and 0 <= int8["agreement_with_fp32"] <= 1
    assert int8["quantization"] == "token-wise dynamic int8"
    assert int8["macro_f1_drop"] == pytest.approx(int8["macro_f1_fp32"] - int8["macro_f1_int8"])
    assert {"onnx/model.onnx", "onnx/model.int8.onnx"} <= set(manifest["files"])
    # the default: the lower 3 layers' feed-forward output products stay fp32 (all of a smaller model's)
    layers = min(3, json.loads((export_dir / "config.json").read_text())["num_hidden_layers"])
    assert int8["ffn_down_fp32_layers"] == layers
    assert f"feed-forward output products of the lower {layers} layers stay fp32" in (export_dir / "README.md").read_text()


def test_export_reexports_a_finished_run_and_drops_int8_past_the_gate(trained_run, tmp_path):
    import claimnet

    run = tmp_path / "run"
    shutil.copytree(trained_run, run, symlinks=True)
    claimnet.export([f"run_dir={run}", "export.int8_max_f1_drop=-1", "evaluation.bootstrap_resamples=10"])
    manifest = json.loads((run / "export" / "claimnet.json").read_text())
    assert manifest["int8"]["included"] is False
    assert not (run / "export" / "onnx" / "model.int8.onnx").exists()
    assert "onnx/model.int8.onnx" not in manifest["files"]
    assert "left out" in (run / "export" / "README.md").read_text()
    assert ClaimTagger.load(run / "export", backend="onnx").backend_name == "onnx-fp32"
    with pytest.raises(ModelLoadError, match=r"has no int8 model \(onnx/model.int8.onnx\): the export-time check left it out"):
        ClaimTagger.load(run / "export", backend="onnx", precision="int8")


def test_onnx_runtime_never_imports_torch_transformers_or_hydra(export_dir):
    code = (
        "import sys\n"
        "from claimnet import ClaimTagger\n"
        f"t = ClaimTagger.load({str(export_dir)!r}, backend='onnx')\n"
        "r = t.tag('Police said two people were hurt. It may rain tomorrow.')\n"
        "assert len(r) == 2, r\n"
        "from claimnet import cli\n"
        "print(sorted(m for m in ('torch', 'transformers', 'hydra', 'omegaconf', 'sklearn') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_onnx_file_altered_is_rejected_by_name(export_dir, tmp_path):
    copy = tmp_path / "export"
    shutil.copytree(export_dir, copy)
    (copy / "onnx" / "model.int8.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match=r"onnx/model.int8.onnx: SHA-256 .* does not match"):
        ClaimTagger.load(copy, backend="onnx")
    ClaimTagger.load(copy, backend="onnx", precision="fp32")  # the fp32 file is intact


def test_one_tagger_from_several_threads(export_dir, test_article):
    tagger = ClaimTagger.load(export_dir, batch_size=8)
    texts = [test_article["text"], "Officials said the bridge will reopen.", test_article["text"][:500]] * 4
    expected = [[(s.start, s.label, round(s.score, 5)) for s in tagger.tag(t)] for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda t: [(s.start, s.label, round(s.score, 5)) for s in tagger.tag(t)], texts))
    assert got == expected


def test_cli_jsonl_input_html_output_and_a_one_megabyte_article(export_dir, test_article, tmp_path):
    articles = tmp_path / "articles.jsonl"
    articles.write_text("\n".join(json.dumps({"id": f"a{i}", "text": test_article["text"]}) for i in range(3)))
    proc = run_cli("tag", "--model", str(export_dir), "--input", "jsonl", "--format", "jsonl", str(articles))
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert proc.returncode == 0 and {r["id"] for r in rows} == {"a0", "a1", "a2"}
    assert all(r["label"] in LABELS for r in rows)

    proc = run_cli("tag", "--model", str(export_dir), "--format", "html", "-", input=test_article["text"].encode())
    page = proc.stdout.decode()
    assert page.startswith("<!doctype html>") and page.count('class="s"') >= len(test_article["sentences"])

    big = (test_article["text"].replace("\n", " ") + " ") * (1_000_000 // len(test_article["text"]) + 1)
    path = tmp_path / "big.txt"
    path.write_text(big[:1_000_000])
    proc = run_cli("tag", "--model", str(export_dir), "--format", "jsonl", str(path))
    assert proc.returncode == 0, proc.stderr[-1000:]
    spans = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(spans) > 4000 and spans[-1]["end"] <= 1_000_000


@pytest.mark.parametrize("backend, precision, threads", [
    ("onnx", "fp32", None), ("onnx", "int8", None), ("onnx", "int8", 1), ("torch", "fp32", None), ("torch", "bf16", None),
])
def test_a_label_does_not_depend_on_its_batch(export_dir, backend, precision, threads):
    """Every test-split sentence alone and in batches of 16 and 64: the same label (bf16: where the margin >= 0.01).

    int8 with one thread runs padded batches through the token-wise graph itself (several threads run one
    sentence per call): the quantization, not only the backend's scheduling, must hold the property.
    """
    from claimnet.data import load_articles
    from helpers import DATA_DIR

    pairs = [(t, None) for a in load_articles(DATA_DIR / "test.jsonl", LABELS) for t in a.sentence_texts()]
    probs = {size: ClaimTagger.load(export_dir, backend=backend, precision=precision, batch_size=size,
                                    num_threads=threads).predict_proba(pairs) for size in (1, 16, 64)}
    top2 = np.sort(probs[1], axis=1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) >= (0.01 if precision == "bf16" else 0.0)
    for size in (16, 64):
        same = probs[size].argmax(1) == probs[1].argmax(1)
        assert same[decided].all(), f"batch {size}: {(~same[decided]).sum()} labels changed"
        if precision == "int8":  # token-wise scales: not just the labels, the scores are identical
            np.testing.assert_array_equal(probs[size], probs[1])


@pytest.mark.parametrize("context_window", [0, 2])
def test_tag_stream_equals_tag_over_parts_and_windows(tmp_path, context_window):
    """Streamed in parts and tagged 3 sentences at a time (with context across the cuts): tag()'s answers."""
    from helpers import DATA_DIR, rewrite_manifest

    export = rewrite_manifest(tmp_path, context_window=context_window)
    tagger = ClaimTagger.load(export, backend="onnx")
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:3]]
    text = "\n".join(texts)
    whole = tagger.tag(text)
    parts = (text[i : i + 97] for i in range(0, len(text), 97))
    streamed = list(tagger.tag_stream(parts, window=3))
    assert [(s.start, s.end, s.text, s.label) for s in streamed] == [(s.start, s.end, s.text, s.label) for s in whole]
    np.testing.assert_allclose([list(s.scores.values()) for s in streamed],
                               [list(s.scores.values()) for s in whole], atol=1e-5)


def test_tag_stream_reads_only_as_far_as_it_tags(export_dir):
    """The first sentences come out after one window's worth of input, not the whole input."""
    tagger = ClaimTagger.load(export_dir)
    consumed = 0

    def lines():
        nonlocal consumed
        for i in range(100_000):
            consumed += 1
            yield f"Officials said {i} people were moved to shelters overnight.\n"

    stream = tagger.tag_stream(lines(), window=64)
    first = next(stream)
    assert first.start == 0 and first.text.startswith("Officials said 0 ")
    assert consumed <= 64 + 2


def test_tag_stream_refuses_what_is_not_text(export_dir):
    tagger = ClaimTagger.load(export_dir)
    with pytest.raises(TypeError, match="str or an iterable of str parts, got bytes"):
        list(tagger.tag_stream(b"raw bytes"))
    with pytest.raises(TypeError, match="text parts must be str, got int"):
        list(tagger.tag_stream([1, 2]))
    with pytest.raises(ValueError, match="window must be an int >= 1. Got 0 instead."):
        list(tagger.tag_stream("Text.", window=0))
    assert list(tagger.tag_stream(iter(()))) == [] and list(tagger.tag_stream("  \n ")) == []
