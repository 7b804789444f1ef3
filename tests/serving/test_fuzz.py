"""Property-based API fuzzing against the server's own OpenAPI schema (schemathesis): no 5xx, no schema violation."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="the server extra: pip install 'claimnet[serve]'")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402


@pytest.fixture(scope="module")
def api_schema(export_dir):
    """A real server on a loopback port (the model loaded), and the schema it serves."""
    import uvicorn

    from claimnet.serving.app import ServeSettings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ServeSettings(model=str(export_dir), max_wait_ms=1, max_sentences=100_000, max_queue=100_000,
                                        max_bytes=10_000_000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/openapi.json")
    server.should_exit = True
    thread.join(30)


EXAMPLES = 300 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 25  # per operation


def test_no_request_gets_a_5xx_or_breaks_the_schema(api_schema):
    """Each operation of the schema, fuzzed by hypothesis: every answer passes schemathesis' checks."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/tag", "/v1/classify", "/predict", "/setup", "/v1/model"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case):
            # Label Studio's bodies are valid only against the project's labelling config, which a JSON schema
            # cannot state (the text field is the one the config names): there a 422 for schema-valid data is right.
            # The same for one id per text and one context per sentence: equal lengths are not JSON Schema.
            body = case.body if isinstance(case.body, dict) else {}
            mismatched = any(isinstance(body.get(k), list) and isinstance(body.get(of), list)
                             and len(body[k]) != len(body[of]) for k, of in (("ids", "texts"), ("contexts", "sentences")))
            excluded = [positive_data_acceptance] if case.operation.path in ("/setup", "/predict") or mismatched else []
            case.call_and_validate(excluded_checks=excluded)

        fuzz()
