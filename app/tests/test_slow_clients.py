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
