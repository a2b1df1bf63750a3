"""The database vanishes without a word: PostgreSQL in a network namespace of the test's own, its packets dropped
mid-load (no RST, no FIN: a dead node or a partition), then a new primary at the same address.

Bounds here are generous on purpose (timings are the benchmark's `partition` phase): without bounded database waits a
request on a pooled connection waits for TCP to give up, about 15 minutes, and every worker's pool stays stuck."""
from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
from conftest import IMAGE, get

from netns import Netns  # noqa: E402  (tools/, on the path through conftest)
from pgserver import PgServer  # noqa: E402
from podman import podman  # noqa: E402

ANSWER_WITHIN_S = 10  # far above the app's own bounds (2-3 s), far below TCP's (minutes)
# Longer than ANSWER_WITHIN_S: a request stuck on a connection must not be rescued by the new primary's RST.
PARTITION_S = 14


def processes_under(root: int) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
    found, frontier = {root}, {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


@pytest.fixture
def partitioned_db():
    if os.geteuid() != 0:
        pytest.fail("the partition test makes a network namespace: run it as root (tools/test_app.py does)")
    with Netns() as ns:
        pg = PgServer(host=ns.address, netns=ns.name)
        with pg:
            pg.psql("CREATE DATABASE partition")
            url = pg.url("partition")
            migrated = podman(
                "run", "--rm", "--no-healthcheck", "--network", "host", "-e", f"DATABASE_URL={url}",
                "-e", "DYNO=release.1", IMAGE, check=False,
            )  # fmt: skip
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
            yield ns, pg, url


def test_requests_answer_503_during_a_silent_partition_and_200_from_the_new_primary(container, partitioned_db, port):
    ns, pg, url = partitioned_db
    app = container(env={"DATABASE_URL": url, "PORT": str(port), "WEB_CONCURRENCY": "2"})
    base = f"http://127.0.0.1:{port}"
    app.wait_http(f"{base}/readyz")
    workers = processes_under(app.state()["Pid"])
    results: list[tuple] = []  # (sent, answered, status, retry_after)
    stop = threading.Event()

    def client():
        while not stop.is_set():
            sent = time.monotonic()
            try:
                status, headers, _ = get(f"{base}/api/actors?limit=5", timeout=ANSWER_WITHIN_S)
                results.append((sent, time.monotonic(), status, headers.get("Retry-After")))
            except OSError as exc:  # no answer within the bound: the request hung
                results.append((sent, time.monotonic(), repr(exc), None))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(2)  # every worker's pool holds connections, some with a query in flight
    ns.drop()
    dropped = time.monotonic()
    time.sleep(PARTITION_S)
    # A new primary at the same address: the old server goes (nothing it says gets out), a copy of its data starts.
    pg.failover()
    ns.heal()
    healed = time.monotonic()
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join(ANSWER_WITHIN_S + 5)
    during = [r for r in results if dropped + 0.5 <= r[0] and r[1] <= healed]
    hung = [r for r in results if not isinstance(r[2], int)]
    assert not hung, f"{len(hung)} requests got no answer within {ANSWER_WITHIN_S} s: {hung[:3]}"
    assert during and all(r[2] == 503 and r[3] for r in during), sorted({(r[2], r[3]) for r in during})
    assert get(f"{base}/readyz", timeout=ANSWER_WITHIN_S)[0] in (200, 503)

    deadline = time.monotonic() + 30
    while get(f"{base}/api/actors", timeout=ANSWER_WITHIN_S)[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [get(f"{base}/api/actors", timeout=ANSWER_WITHIN_S)[0] for _ in range(20)] == [200] * 20
    assert processes_under(app.state()["Pid"]) == workers, "a worker died or was restarted"
