"""Article-kind exports keep loading on every runtime path (their training was retired in round 3).

Windows and paragraph flags, the base-install tagger, the CLI, the server and the
encoder's batch independence, on the fixture ``tests/fixtures/v2-article``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from claimnet.runtime.windows import paragraph_starts, windows
from helpers import DATA_DIR, FIXTURES, run_cli


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
def article_export():
    """The tiny article-kind export written by the last claimnet that trained article models (format 2)."""
    return FIXTURES / "v2-article"


def test_the_base_install_path_tags_an_article_without_torch_and_the_cli_agrees(article_export, tmp_path):
    export = article_export
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


def test_the_server_answers_an_article_model_as_the_tagger_does(article_export):
    from fastapi.testclient import TestClient

    from claimnet import ClaimTagger
    from claimnet.serving.app import ServeSettings, create_app

    export = article_export
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:3]]
    with TestClient(create_app(ServeSettings(model=str(export)))) as client:
        answer = client.post("/v1/tag", json={"texts": texts})
        model = client.get("/v1/model").json()
    assert answer.status_code == 200, answer.text
    tagger = ClaimTagger.load(export)
    assert [a["sentences"] for a in answer.json()] == [[s.to_dict() for s in tagger.tag(t)] for t in texts]
    assert model["kind"] == "article"


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_a_sentence_vector_does_not_depend_on_the_sentences_beside_it(article_export, precision):
    """The encoder alone and in one call with others (int8: equal-length groups): the very same vector."""
    from claimnet import ClaimTagger

    tagger = ClaimTagger.load(article_export, precision=precision)
    texts = [json.loads(line)["text"] for line in (DATA_DIR / "test.jsonl").read_text().splitlines()[:3]]
    pairs = [(text[s:e], None) for text in texts for s, e in tagger.segment(text)]
    together = tagger.sentence_outputs(pairs)
    alone = np.concatenate([tagger.sentence_outputs([pair]) for pair in pairs])
    if precision == "int8":
        np.testing.assert_array_equal(together, alone)
    else:  # fp32 runs padded batches: the padding changes the float sums, not the meaning
        np.testing.assert_allclose(together, alone, atol=1e-5)
