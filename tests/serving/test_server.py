"""The tagging server: endpoints, bad input, limits, batching, shutdown; answers equal ClaimTagger.tag."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi", reason="the server extra: pip install 'claimnet[serve]'")

from fastapi.testclient import TestClient  # noqa: E402

from claimnet import ClaimTagger  # noqa: E402
from claimnet.serving.app import ServeSettings, create_app  # noqa: E402
from helpers import DATA_DIR  # noqa: E402

ARTICLES = [json.loads(line) for line in (DATA_DIR / "test.jsonl").read_text(encoding="utf-8").splitlines()[:4]]


def client(export_dir, **settings) -> TestClient:
    return TestClient(create_app(ServeSettings(model=str(export_dir), **settings)))


@pytest.fixture(scope="module")
def server(export_dir):
    with client(export_dir) as c:
        yield c


def test_tag_answers_equal_the_tagger_and_the_cli_json(server, export_dir):
    tagger = ClaimTagger.load(export_dir)
    texts = [a["text"] for a in ARTICLES]
    one = server.post("/v1/tag", json={"text": texts[0], "id": "first"})
    assert one.status_code == 200
    assert one.json() == [{"id": "first", "sentences": [s.to_dict() for s in tagger.tag(texts[0])]}]
    many = server.post("/v1/tag", json={"texts": texts})
    assert many.status_code == 200
    assert many.json() == [{"id": str(i), "sentences": [s.to_dict() for s in tagger.tag(t)]}
                           for i, t in enumerate(texts)]


def test_classify_takes_cut_sentences(server, export_dir):
    tagger = ClaimTagger.load(export_dir)
    sentences = ["The mayor said the bridge would reopen.", "It may rain tomorrow."]
    answer = server.post("/v1/classify", json={"sentences": sentences})
    assert answer.status_code == 200
    probs = tagger.predict_proba([(s, None) for s in sentences])
    assert [a["label"] for a in answer.json()] == [tagger.labels[i] for i in probs.argmax(1)]
    assert answer.json()[0]["scores"] == pytest.approx(dict(zip(tagger.labels, map(float, probs[0]))))
    # this model reads no context: the schema (and the check) take plain sentences only
    refused = server.post("/v1/classify", json={"sentences": [{"text": sentences[0], "context": "x"}]})
    assert refused.status_code == 422
    schema = server.get("/openapi.json").json()["components"]["schemas"]
    assert "ClassifyRequest" in schema and "SentenceInContext" not in schema


def test_health_ready_model_and_metrics(server, export_dir):
    assert server.get("/health").json()["status"] == "UP"
    ready = server.get("/ready")
    assert ready.status_code == 200 and ready.json()["backend"] == "onnx-int8"
    info = server.get("/v1/model").json()
    manifest = json.loads((export_dir / "claimnet.json").read_text())
    assert info["labels"] == manifest["labels"] and info["precision"] == "int8" and info["kind"] == "sentence"
    assert info["metrics"]["test"]["macro_f1"] == manifest["metrics"]["test"]["macro_f1"]
    server.post("/v1/tag", json={"text": ARTICLES[0]["text"]})
    server.post("/v1/tag", json={"txt": "typo"})
    text = server.get("/metrics").text
    assert 'claimnet_requests_total{endpoint="/v1/tag",status="200"}' in text
    assert 'claimnet_requests_total{endpoint="/v1/tag",status="422"}' in text
    assert "claimnet_batch_sentences_bucket" in text and "claimnet_queue_sentences 0.0" in text
    assert 'claimnet_request_seconds_bucket{endpoint="/v1/tag"' in text
    schema = server.get("/openapi.json").json()
    assert {"/v1/tag", "/v1/classify", "/health", "/ready", "/v1/model", "/metrics", "/setup", "/predict"} <= set(
        schema["paths"])


@pytest.mark.parametrize("body, content_type, status, says", [
    (b'{"text": "Unclosed', "application/json", 400, "not valid JSON"),
    (b'{"text": 5}', "application/json", 422, "valid string"),
    (b'{}', "application/json", 422, "Field required"),
    (b'{"text": "a", "texts": ["b"]}', "application/json", 422, "Extra inputs"),
    (b'{"texts": ["a"], "id": "x"}', "application/json", 422, "Extra inputs"),
    (b'{"text": "   "}', "application/json", 422, "'text' is empty"),
    (b'{"texts": []}', "application/json", 422, "at least 1"),
    (b'{"texts": ["ok", ""]}', "application/json", 422, "texts[1] is empty"),
    (b'{"texts": ["ok", " \\n "]}', "application/json", 422, "texts[1] is empty"),
    (b'{"text": "\xff\xfe bad bytes"}', "application/json", 4, ""),
    (b'[1, 2]', "application/json", 422, ""),
    (b'text=hello', "application/x-www-form-urlencoded", 415, "must be JSON"),
    (b'{"text": "ok"}', "text/plain", 415, "must be JSON"),
    (b'{"text": "ok", "extra": 1}', "application/json", 422, "Extra inputs"),
])
def test_bad_requests_get_a_4xx_with_a_reason(server, body, content_type, status, says):
    answer = server.post("/v1/tag", content=body, headers={"content-type": content_type})
    assert (answer.status_code // 100 == 4) if status == 4 else answer.status_code == status, answer.text
    assert answer.json()["error"] and says in answer.text


def test_limits_answer_413(export_dir):
    with client(export_dir, max_sentences=5, max_bytes=2000) as c:
        many = c.post("/v1/tag", json={"text": "One. Two. Three. Four. Five. Six."})
        assert many.status_code == 413 and "at most 5 per request" in many.json()["error"]
        big = c.post("/v1/tag", json={"text": "word " * 1000})
        assert big.status_code == 413 and "limit of 2000 bytes" in big.json()["error"]
        chunked = c.post("/v1/tag", content=iter([b'{"text": "', b"x" * 3000, b'"}']),
                         headers={"content-type": "application/json"})
        assert chunked.status_code == 413


def test_a_lone_surrogate_is_tagged_and_kept(server):
    answer = server.post("/v1/tag", content=b'{"text": "He said \\ud800 it was over."}',
                         headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text  # the model sees U+FFFD; the answer keeps the text, escaped
    assert answer.json()[0]["sentences"][0]["text"] == "He said \ud800 it was over."
    assert b"\\ud800" in answer.content


def test_concurrent_requests_share_one_model_call(export_dir):
    """Two requests that arrive while the model is busy are answered from one model call, sorted together."""
    with client(export_dir, max_wait_ms=1500, max_batch=64) as c:
        batcher = c.app.state.claimnet["batcher"]
        real, sizes = batcher.predict, []

        def slow_first(pairs):
            sizes.append(len(pairs))
            if len(sizes) == 1:
                time.sleep(1.0)  # keeps the model busy while the other two arrive
            return real(pairs)

        batcher.predict = slow_first
        tagger = ClaimTagger.load(export_dir)
        texts = [a["text"] for a in ARTICLES[:3]]
        with ThreadPoolExecutor(3) as pool:
            first = pool.submit(c.post, "/v1/tag", json={"text": texts[0]})
            time.sleep(0.4)
            others = [pool.submit(c.post, "/v1/tag", json={"text": t}) for t in texts[1:]]
            answers = [first.result(), *(f.result() for f in others)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert batcher.calls == 2 and sizes[1] == sum(len(tagger.segment(t)) for t in texts[1:])
        assert [a.json()[0]["sentences"] for a in answers] == [[s.to_dict() for s in tagger.tag(t)] for t in texts]
        assert 'claimnet_batch_requests_bucket{le="2.0"} 2.0' in c.get("/metrics").text


def test_a_lone_request_does_not_wait_for_others(export_dir):
    with client(export_dir, max_wait_ms=5000) as c:
        started = time.perf_counter()
        assert c.post("/v1/tag", json={"text": ARTICLES[0]["text"]}).status_code == 200
        assert time.perf_counter() - started < 4.0  # it went at once, not after max-wait


def test_batching_off_is_one_call_per_request(export_dir):
    with client(export_dir, batching=False) as c:
        for a in ARTICLES[:2]:
            assert c.post("/v1/tag", json={"text": a["text"]}).status_code == 200
        assert c.app.state.claimnet["batcher"].calls == 2


def test_a_full_queue_answers_503_with_retry_after(export_dir):
    """While the model is busy, sentences queue up to --max-queue; past it a request is refused at once."""
    with client(export_dir, max_queue=4, max_sentences=4, max_wait_ms=2000, max_batch=64) as c:
        batcher = c.app.state.claimnet["batcher"]
        real, calls = batcher.predict, []

        def slow_first(pairs):
            calls.append(len(pairs))
            if len(calls) == 1:
                time.sleep(1.5)
            return real(pairs)

        batcher.predict = slow_first
        with ThreadPoolExecutor(2) as pool:
            busy = pool.submit(c.post, "/v1/tag", json={"text": "Officials said so."})
            time.sleep(0.3)
            waiting = pool.submit(c.post, "/v1/tag", json={"text": "One. Two. Three."})
            deadline = time.time() + 10
            while batcher.queued < 3 and time.time() < deadline:
                time.sleep(0.01)
            refused = c.post("/v1/tag", json={"text": "Four. Five."})
            assert busy.result().status_code == 200 and waiting.result().status_code == 200
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert "busy" in refused.json()["error"]


def test_label_studio_ml_backend_protocol(server):
    """Shapes from Label Studio's ML backend docs: /setup gives a model_version, /predict one result per task."""
    config = ('<View><Labels name="sentence_label" toName="article"><Label value="claim"/></Labels>'
              '<Text name="article" value="$body"/></View>')
    setup = server.post("/setup", json={"project": "1.1700000000", "schema": config, "hostname": "http://ls:8080",
                                        "access_token": "x", "extra_params": ""})
    assert setup.status_code == 200 and setup.json()["model_version"].startswith("claimnet-")
    tasks = [{"id": i + 1, "data": {"body": a["text"]}} for i, a in enumerate(ARTICLES[:2])]
    answer = server.post("/predict", json={"tasks": tasks, "project": "1.1700000000", "label_config": config,
                                           "params": {"login": None, "password": None, "context": None}})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == 2 and results[0]["model_version"] == setup.json()["model_version"]
    region = results[0]["result"][0]
    assert region["from_name"] == "sentence_label" and region["to_name"] == "article" and region["type"] == "labels"
    text = ARTICLES[0]["text"]
    assert region["value"]["text"] == text[region["value"]["start"]:region["value"]["end"]]
    assert 0 <= results[0]["score"] <= 1
    assert len(results[0]["result"]) == len(ClaimTagger.load(server.app.state.settings.model).tag(text))
    bad = server.post("/predict", json={"tasks": tasks, "label_config": "<View><Text name='t' value='$t'/></View>"})
    assert bad.status_code == 422 and "no <Labels>" in bad.json()["error"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_finishes_requests_in_flight_then_exits(export_dir):
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "claimnet.cli", "serve", "--model", str(export_dir),
                             "--port", str(port), "--max-wait-ms", "1500", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(base + "/ready", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        request = urllib.request.Request(base + "/v1/tag", data=json.dumps({"text": ARTICLES[0]["text"]}).encode(),
                                         headers={"content-type": "application/json"})
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(lambda: urllib.request.urlopen(request, timeout=30))
            time.sleep(0.5)  # the request now waits in the batcher (max-wait 1.5 s)
            proc.send_signal(signal.SIGTERM)
            answer = pending.result()
            assert answer.status == 200 and json.loads(answer.read())[0]["sentences"]
        # uvicorn re-raises the signal once it has shut down, as a SIGTERM'd process conventionally ends
        assert proc.wait(30) in (0, -signal.SIGTERM)
        assert b"Traceback" not in proc.stderr.read()
    finally:
        proc.kill()


def test_serve_refuses_a_missing_model_before_opening_a_port(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "claimnet.cli", "serve", "--model", str(tmp_path / "none")],
                          capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_tag_takes_the_documented_ids_and_errors_name_public_fields(server):
    answer = server.post("/v1/tag", json={"texts": ["Police said so.", "It may rain."], "ids": ["a-1", "b-2"]})
    assert answer.status_code == 200, answer.text
    assert [a["id"] for a in answer.json()] == ["a-1", "b-2"]
    short = server.post("/v1/tag", json={"texts": ["Police said so.", "It may rain."], "ids": ["a-1"]})
    assert short.status_code == 422 and "one id per text" in short.json()["error"]
    wrong = server.post("/v1/tag", json={"texts": [3]})
    assert wrong.status_code == 422
    for problem in wrong.json()["detail"]:
        assert not {"one", "many"} & set(problem["loc"]), problem  # the union's internal tags stay inside
        assert problem["loc"][:2] == ["body", "texts"], problem


def test_malformed_json_is_400_and_a_wrong_content_type_415_on_every_route(server):
    for route in ("/v1/tag", "/v1/classify", "/setup", "/predict"):
        bad = server.post(route, content=b'{"unclosed', headers={"content-type": "application/json"})
        assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json", (route, bad.text)
        plain = server.post(route, content=b"{}", headers={"content-type": "text/plain"})
        assert plain.status_code == 415 and plain.headers["content-type"] == "application/problem+json", route


def test_a_megabyte_of_tiny_sentences_is_refused_after_the_limit_not_after_segmenting_it_all(export_dir):
    import time

    text = "Yes. " * 200_000  # 1 MB, 200,000 sentences
    with client(export_dir, max_bytes=2_000_000) as c:
        started = time.perf_counter()
        answer = c.post("/v1/tag", json={"text": text})
        seconds = time.perf_counter() - started
    assert answer.status_code == 413 and "at most 2048" in answer.json()["error"]
    assert seconds < 5, f"{seconds:.1f} s: segmentation ran past --max-sentences"  # was 27 s on the whole text


def test_a_queue_smaller_than_the_largest_request_is_refused_at_start_up(export_dir):
    from claimnet.errors import ConfigError
    from claimnet.serving.app import ServeSettings, create_app

    with pytest.raises(ConfigError, match="--max-queue 100 is below --max-sentences 2048"):
        create_app(ServeSettings(model=str(export_dir), max_queue=100))
