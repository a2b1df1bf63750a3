"""Requests gunicorn would refuse itself: long queries reach the app and get its JSON error; what is beyond gunicorn's
limits gets the same JSON error format from the worker (gunicorn's own answer is an HTML page)."""
import json
import socket

import pytest

from conftest import http


@pytest.mark.parametrize(
    "query, parameter",
    [("q=" + "x" * 5000, "q"), ("after=" + "A" * 5000, "after"), ("limit=5&" + "y" * 5000 + "=1", "y" * 40 + "…")],
    ids=["q", "after", "unknown"],
)
def test_a_5000_character_query_gets_the_apis_json_error(gunicorn, query, parameter):
    server = gunicorn(workers=1)
    status, headers, body = http("GET", f"{server.base}/api/actors?{query}")
    assert status == 400 and headers["Content-Type"] == "application/json", body[:300]
    assert json.loads(body)["error"]["parameter"] == parameter


def raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    "request_bytes, status, says",
    [
        (b"GET /api/actors?q=" + b"x" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "shorten the query"),
        (b"GET /api/actors HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000 + b"\r\n\r\n", 431, "headers too large"),
        (b"GET /api/actors HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n", 431, "headers"),
        (b"G@T /api/actors HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Invalid"),
    ],
    ids=["long-line", "big-header", "many-headers", "bad-method"],
)
def test_requests_gunicorn_refuses_get_a_json_error(gunicorn, request_bytes, status, says):
    server = gunicorn(workers=1)
    got, headers, body = raw(server.port, request_bytes)
    assert got == status and headers["Content-Type"] == "application/json", body[:300]
    error = json.loads(body)["error"]
    assert error["status"] == status and says in error["message"]
    assert http("GET", f"{server.base}/healthz")[0] == 200
