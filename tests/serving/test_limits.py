"""Slow and numerous clients, over real sockets: read deadlines and the limit on requests in flight."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import uvicorn

from claimnet.serving.app import ServeSettings, create_app
from claimnet.serving.limits import timed_protocol


@pytest.fixture(scope="module")
def port(export_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    app = create_app(ServeSettings(model=str(export_dir), max_connections=2, read_timeout_s=1.5))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free, log_level="warning",
                                          http=timed_protocol(1.5), timeout_keep_alive=5, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield free
    server.should_exit = True
    thread.join(timeout=10)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def answer(sock: socket.socket) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_a_client_that_never_finishes_its_headers_is_cut_off(port):
    sock = connect(port)
    sock.sendall(b"POST /v1/tag HTTP/1.1\r\nHost: x\r\n")  # and then nothing
    started = time.time()
    try:
        assert sock.recv(1024) == b""  # the server closed the connection
    except ConnectionResetError:
        pass
    assert time.time() - started < 8
    sock.close()


def test_a_body_that_does_not_arrive_gets_408(port):
    sock = connect(port)
    sock.sendall(b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"text\": ")
    status, headers, body = answer(sock)
    assert status == 408 and headers["content-type"] == "application/problem+json"
    sock.close()


def test_requests_past_the_limit_get_503_with_retry_after_at_once(port):
    held = []
    for _ in range(2):  # two requests in flight, their bodies still coming
        sock = connect(port)
        sock.sendall(b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 50\r\n\r\n{")
        held.append(sock)
    time.sleep(0.3)
    sock = connect(port)
    body = json.dumps({"text": "Police said so."}).encode()
    sock.sendall(b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)
    status, headers, _ = answer(sock)
    assert status == 503 and headers["retry-after"] and headers["content-type"] == "application/problem+json"
    for s in [*held, sock]:
        s.close()


def test_the_access_log_is_bounded_per_second():
    import logging

    from claimnet.serving.limits import AccessLogBudget

    budget = AccessLogBudget(per_second=5)
    records = [logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "GET / 200", None, None)
               for _ in range(100)]
    kept = [r for r in records if budget.filter(r)]
    assert len(kept) <= 10  # 5 a second (10 if the loop crossed a second's boundary), the rest dropped
