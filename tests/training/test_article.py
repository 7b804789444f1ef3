"""model=article: windows, training through the real scripts, the two-graph ONNX export, every runtime path."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimnet.runtime.windows import paragraph_starts, windows
from conftest import DATA_DIR, run_cli, run_script


@given(n=st.integers(0, 300), stride=st.integers(2, 40))
def test_every_sentence_is_labelled_by_one_window_that_holds_it_away_from_its_edges(n, stride):
    size = 2 * stride
    spans, owner = windows(n, size, stride)
    assert len(owner) == n
    if n <= size:
        assert spans == [(0, n)]
        return
    assert spans[0][0] == 0 and spans[-1][1] == n and all(end - start <= size for start, end in spans)
    for i, k in enumerate(owner):
        start, end = spans[k]
        assert start <= i < end
        if i >= stride // 2:  # away from the article's start, never at a window's first sentences
            assert i - start >= stride // 2
        assert end - i > stride // 2 or end == n
    assert sorted(set(owner)) == list(range(len(spans))), "every window labels some sentence"


def test_a_paragraph_starts_after_a_line_break():
    text = "One. Two.\n\nThree. Four.\nFive."
    spans = [(0, 4), (5, 9), (11, 17), (18, 23), (24, 29)]
    assert paragraph_starts(text, spans) == [1, 0, 1, 0, 1]


@pytest.fixture(scope="module")
def article_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("article-outputs")
    proc = run_script("train.py", "experiment=smoke", "model=tiny_article", f"paths.output_dir={out}",
                      "evaluation.baselines=false", "trainer.max_steps=6")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return (out / "latest").resolve()


def test_the_article_export_records_its_kind_and_holds_two_graphs_and_no_pipeline_config(article_run):
    export = article_run / "export"
    manifest = json.loads((export / "claimnet.json").read_text())
    assert manifest["model"]["kind"] == "article"
    assert (manifest["model"]["window"], manifest["model"]["stride"]) == (16, 8)
    assert {"onnx/encoder.onnx", "onnx/contextualiser.onnx", "model.safetensors", "tokenizer.json"} <= set(
        manifest["files"])
    assert "config.json" not in manifest["files"], "transformers.pipeline() must not load an article model"
    card = (export / "README.md").read_text()
    assert "article-level" in card and "ClaimTagger" in card and "cannot load" in card
    summary = json.loads((article_run / "summary.json").read_text())
    assert 0 <= summary["test_macro_f1"] <= 1


def test_onnx_matches_torch_on_shapes_the_export_never_saw(article_run):
    import torch
    from safetensors.torch import load_file

    from claimnet import ClaimTagger
    from claimnet.labels import LabelSet
    from claimnet.tasks.runner import compose_job
    from claimnet.training.article import build_article_model
    from claimnet.training.modeling import resolve_source

    cfg = compose_job("train", ["model=tiny_article"], resolve_outputs=False)
    labels = LabelSet.from_names(cfg.data.labels)
    model = build_article_model(resolve_source(cfg.model.source), labels, 16, cfg.model.article,
                                dict(cfg.model.random_init))
    model.load_state_dict(load_file(str(article_run / "export" / "model.safetensors")))
    model.eval()
    tagger = ClaimTagger.load(article_run / "export", backend="onnx", precision="fp32")
    tagger.temperature, tagger.biases[:] = 1.0, 0.0  # the graphs' own softmax (calibration is tested elsewhere)
    articles = [json.loads(line) for line in (DATA_DIR / "dev.jsonl").read_text().splitlines()]
    long = max(articles, key=lambda a: len(a["sentences"]))  # 57 sentences: several windows of 16
    for article in (articles[3], long):
        spans = [(s["start"], s["end"]) for s in article["sentences"]]
        ours = tagger.predict_spans([article["text"]], [spans])[0]
        pairs = tagger.article_pairs(article["text"], spans)
        enc = tagger.encoder.pad(tagger.encoder.encode(pairs))
        with torch.no_grad():
            vectors = model.sentences(*(torch.from_numpy(enc[k]) for k in ("input_ids", "attention_mask",
                                                                            "token_type_ids")))
            flags = torch.tensor(paragraph_starts(article["text"], spans))
            expected = np.zeros_like(ours)
            spans_w, owner = windows(len(spans), 16, 8)
            for k, (start, end) in enumerate(spans_w):
                logits = model.context(vectors[None, start:end], flags[None, start:end],
                                       torch.ones(1, end - start, dtype=torch.bool))[0]
                probs = logits.softmax(-1).numpy()
                for i in range(start, end):
                    if owner[i] == k:
                        expected[i] = probs[i - start]
        np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_the_base_install_path_tags_an_article_without_torch_and_the_cli_agrees(article_run, tmp_path):
    export = article_run / "export"
    text = json.loads((DATA_DIR / "test.jsonl").read_text().splitlines()[0])["text"]
    code = ("import sys, json; from claimnet import ClaimTagger; t = ClaimTagger.load(sys.argv[1]); "
            "out = [s.to_dict() for s in t.tag(sys.argv[2])]; "
            "assert 'torch' not in sys.modules, 'torch was imported'; print(json.dumps(out))")
    proc = subprocess.run([sys.executable, "-c", code, str(export), text], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    tagged = json.loads(proc.stdout)
    assert len(tagged) > 3 and {s["label"] for s in tagged} <= {"attribution", "hedge", "claim", "background"}
    path = tmp_path / "article.txt"
    path.write_text(text)
    cli = run_cli("tag", "--model", str(export), "--format", "json", str(path))
    assert cli.returncode == 0, cli.stderr.decode()[-2000:]
    assert json.loads(cli.stdout)[0]["sentences"] == tagged


def test_the_server_answers_an_article_model_as_the_tagger_does(article_run):
    from fastapi.testclient import TestClient

    from claimnet import ClaimTagger
    from claimnet.serving.app import ServeSettings, create_app

    export = article_run / "export"
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:3]]
    with TestClient(create_app(ServeSettings(model=str(export)))) as client:
        answer = client.post("/v1/tag", json={"texts": texts})
        model = client.get("/v1/model").json()
    assert answer.status_code == 200, answer.text
    tagger = ClaimTagger.load(export)
    assert [a["sentences"] for a in answer.json()] == [[s.to_dict() for s in tagger.tag(t)] for t in texts]
    assert model["kind"] == "article"


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_a_sentence_vector_does_not_depend_on_the_sentences_beside_it(article_run, precision):
    """The encoder alone and in one call with others (int8: equal-length groups): the very same vector."""
    from claimnet import ClaimTagger

    tagger = ClaimTagger.load(article_run / "export", precision=precision)
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:3]]
    pairs = [(text[s:e], None) for text in texts for s, e in tagger.segment(text)]
    together = tagger.sentence_outputs(pairs)
    alone = np.concatenate([tagger.sentence_outputs([pair]) for pair in pairs])
    if precision == "int8":
        np.testing.assert_array_equal(together, alone)
    else:  # fp32 runs padded batches: the padding changes the float sums, not the meaning
        np.testing.assert_allclose(together, alone, atol=1e-5)
