"""SIGTERM under the image's gunicorn: connections already queued in the listen backlog are answered, not reset.

(The container test sends SIGTERM to the image under 16 clients; there the gevent worker accepts so eagerly that its
backlog is almost always empty. Here the only worker is full, so connections must wait in the backlog.)"""
import signal
import threading
import time

import psycopg

from conftest import http


def test_sigterm_answers_connections_queued_behind_a_full_worker(gunicorn, make_database):
    url = make_database()
    # One worker that serves one connection at a time: the rest queue in the kernel's backlog.
    server = gunicorn(url, workers=1, extra_env={"GUNICORN_CMD_ARGS": "--worker-connections=1"})
    results: list = []

    def get():
        try:
            results.append(http("GET", f"{server.base}/api/actors?limit=3", timeout=20)[0])
        except OSError as exc:  # a reset queued connection
            results.append(repr(exc))

    threads = [threading.Thread(target=get) for _ in range(6)]
    with psycopg.connect(url) as locker:
        locker.execute("LOCK TABLE actors IN ACCESS EXCLUSIVE MODE")  # the first request waits on it, holding the slot
        for t in threads:
            t.start()
            time.sleep(0.2)
        server.process.send_signal(signal.SIGTERM)
        # Longer than the stock gevent worker takes to notice the signal and close its listener (1 s).
        time.sleep(1.5)
    for t in threads:
        t.join(30)
    assert results == [200] * 6
    assert server.process.wait(timeout=30) == 0
