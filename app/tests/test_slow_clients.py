"""Slow clients and slow queries under the image's gunicorn (gevent worker): neither stops a worker serving others.

One worker, so a client or query that held the whole worker would make these requests time out (as the sync worker
does: every plain request failed behind 200 slowloris connections)."""
import socket
import threading

import psycopg

from conftest import http


def slow_sockets(port: int, count: int, first_bytes: bytes) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(first_bytes)
        opened.append(s)
    return opened


def test_slow_headers_and_bodies_do_not_hold_the_worker(gunicorn):
    server = gunicorn(workers=1)
    headers = slow_sockets(server.port, 50, b"GET /api/actors HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")
    bodies = slow_sockets(server.port, 50, b"POST /api/actors HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nq=")
    try:
        statuses = [http("GET", f"{server.base}/api/actors?limit=5", timeout=10)[0] for _ in range(20)]
        assert statuses == [200] * 20
    finally:
        for s in headers + bodies:
            s.close()


def test_a_query_waiting_on_the_database_does_not_block_the_worker(gunicorn, make_database):
    url = make_database()
    server = gunicorn(url, workers=1)
    assert http("GET", f"{server.base}/api/actors")[0] == 200
    result = {}
    with psycopg.connect(url) as locker:
        locker.execute("LOCK TABLE actors IN ACCESS EXCLUSIVE MODE")  # held until this transaction ends
        waiting = threading.Thread(target=lambda: result.update(status=http("GET", f"{server.base}/api/actors")[0]))
        waiting.start()
        # The listing is now stuck on the lock inside the only worker; with a blocking database wait (psycopg's C
        # wait under gevent), nothing else would be served until it returned.
        waiting.join(1.0)
        assert waiting.is_alive(), "the listing should be waiting on the lock"
        assert http("GET", f"{server.base}/healthz", timeout=5)[0] == 200
        assert http("GET", f"{server.base}/metrics", timeout=5)[0] == 200
    waiting.join(10)
    assert result == {"status": 200}


def test_a_keep_alive_connection_that_stops_mid_headers_is_closed_by_the_server(gunicorn):
    # The keep-alive bound restarts for each request on a connection: three requests answered, then a fourth that
    # never finishes its headers is closed by the server (keepalive, 5 s), long before the client's own 30 s.
    server = gunicorn(workers=1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        reader = s.makefile("rb")
        for _ in range(3):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert reader.readline().startswith(b"HTTP/1.1 200")
            length = 0
            while (line := reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        assert reader.read() == b""  # EOF: the server closed it
