"""One answer everywhere: every route that loads an export gives the same labels and probabilities.

The export is re-exported from the session's tiny run with a temperature of 1.7 and
kept decision biases (a tiny model never earns them on dev), so a route that missed
the calibration would disagree. Routes: ``transformers.pipeline`` as documented,
ClaimTagger's torch and ONNX fp32 backends, the server (fp32) and a plain
onnxruntime client (the routes are the lab's ``benchmarks/conformance.py``, which
writes the docs' table on a real export). int8 agreement with fp32 is reported beside them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from benchmarks.conformance import routes

from claimnet import ClaimTagger
from helpers import DATA_DIR

TEMPERATURE = 1.7
BIASES = {"attribution": -0.3, "hedge": 0.8, "claim": -0.5, "background": 0.2}


@pytest.fixture(scope="module")
def folded(trained_run, tmp_path_factory, request):
    """A format-3 export of the session's run, calibration folded into its head."""
    import claimnet
    import claimnet.tasks.finish as finish

    run = tmp_path_factory.mktemp("folded") / "run"
    shutil.copytree(trained_run, run, symlinks=True)
    fixed = {"method": "temperature scaling", "temperature": TEMPERATURE, "fitted_on": "dev",
             "decision_biases": {"applied": True, "biases": BIASES, "held_out_gain": 0.0}}
    patch = pytest.MonkeyPatch()
    patch.setattr(finish, "fit_calibration", lambda *a, **k: json.loads(json.dumps(fixed)))
    try:
        claimnet.export([f"run_dir={run}", "evaluation.bootstrap_resamples=10", "evaluation.baselines=false",
                         "export.int8_max_f1_drop=1"])
    finally:
        patch.undo()
    return run / "export"


@pytest.fixture(scope="module")
def sentences(folded):
    """Test-split sentences as the export segments them, and one far over the model's max_length."""
    tagger = ClaimTagger.load(folded, backend="onnx", precision="fp32")
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:4]]
    out = [text[s:e] for text in texts for s, e in tagger.segment(text)]
    return [*out, " ".join(["The minister said the figures were wrong"] * 40) + "."]


def test_every_fp32_route_gives_the_same_labels_and_probabilities(folded, sentences):
    labels, out, _ = routes(folded, sentences)
    reference = out["onnx-fp32"]
    for name, probs in out.items():
        assert (probs.argmax(1) == reference.argmax(1)).all(), name
        np.testing.assert_allclose(probs, reference, atol=1e-4, err_msg=name)
    # the calibration is in the weights: the probabilities are not the uncalibrated model's
    manifest = json.loads((folded / "claimnet.json").read_text())
    assert manifest["format_version"] == 3 and manifest["calibration"]["temperature"] == TEMPERATURE
    assert "folded" in manifest["calibration"]


def test_the_server_answers_as_the_tagger_does(folded):
    from fastapi.testclient import TestClient

    from claimnet.serving.app import ServeSettings, create_app

    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:3]]
    tagger = ClaimTagger.load(folded, backend="onnx", precision="fp32")
    with TestClient(create_app(ServeSettings(model=str(folded), backend="onnx", precision="fp32"))) as client:
        answer = client.post("/v1/tag", json={"texts": texts})
    assert answer.status_code == 200, answer.text
    for served, text in zip(answer.json(), texts, strict=True):
        expected = tagger.tag(text)
        assert [s["label"] for s in served["sentences"]] == [s.label for s in expected]
        np.testing.assert_allclose([[s["scores"][k] for k in tagger.labels] for s in served["sentences"]],
                                   [[s.scores[k] for k in tagger.labels] for s in expected], atol=1e-4)


def test_int8_from_the_folded_graph_agrees_with_fp32(folded, sentences):
    manifest = json.loads((folded / "claimnet.json").read_text())
    assert manifest["int8"]["included"]
    fp32 = ClaimTagger.load(folded, backend="onnx", precision="fp32").sentence_outputs([(s, None) for s in sentences])
    int8 = ClaimTagger.load(folded, backend="onnx", precision="int8").sentence_outputs([(s, None) for s in sentences])
    agreement = float((fp32.argmax(1) == int8.argmax(1)).mean())
    print(f"int8 agreement with fp32: {agreement:.4f} on {len(sentences)} sentences")
    assert agreement >= 0.9


def test_folding_gives_exactly_the_calibrated_logits():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from claimnet.exporters.fold import fold_calibration

    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=32, num_labels=4)).eval()
    ids = torch.randint(5, 50, (3, 7))
    before = model(input_ids=ids).logits
    fold_calibration(model, 2.5, [0.1, -0.2, 0.3, 0.0])
    after = model(input_ids=ids).logits
    torch.testing.assert_close(after, before / 2.5 + torch.tensor([0.1, -0.2, 0.3, 0.0]), atol=1e-6, rtol=0)


@pytest.mark.slow
def test_every_route_agrees_on_a_real_minilm_export(tmp_path):
    """The same on the real base model (MiniLM, its 30k vocabulary), trained briefly through the train job."""
    import claimnet

    result = claimnet.train(["trainer.max_steps=30", "data.limit_articles=40", "trainer.eval_strategy=steps",
                             "trainer.eval_steps=30", "evaluation.baselines=false", "logger=none",
                             f"paths.output_dir={tmp_path}"])
    export = Path(result["export_dir"])
    assert json.loads((export / "claimnet.json").read_text())["format_version"] == 3
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:6]]
    tagger = ClaimTagger.load(export, backend="onnx", precision="fp32")
    sentences = [text[s:e] for text in texts for s, e in tagger.segment(text)]
    _, out, _ = routes(export, sentences)
    for name, probs in out.items():
        assert (probs.argmax(1) == out["onnx-fp32"].argmax(1)).all(), name
        np.testing.assert_allclose(probs, out["onnx-fp32"], atol=1e-4, err_msg=name)
