import os
import re
from concurrent.futures import ThreadPoolExecutor

from conftest import http


def samples(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_are_summed_across_workers(gunicorn):
    server = gunicorn(workers=3)
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda _: http("GET", f"{server.base}/api/actors?limit=5")[0], range(120)))
    assert statuses == [200] * 120
    files = [f for f in os.listdir(server.metrics_dir) if f.startswith("counter_")]
    assert len(files) > 1, "the load did not reach more than one worker"
    for _ in range(6):  # whichever worker answers the scrape, the totals are the same
        status, headers, body = http("GET", f"{server.base}/metrics")
        text = body.decode()
        assert status == 200 and headers["Content-Type"].startswith("text/plain"), body[:2000]
        assert samples(text, "actors_http_requests_total", route="/api/actors", status="200") == 120
        assert samples(text, "actors_http_request_duration_seconds_count", route="/api/actors") == 120
        assert samples(text, "actors_db_pool_connections", state="size") >= 1


def test_unknown_paths_do_not_create_label_values(gunicorn):
    server = gunicorn(workers=1)
    http("GET", f"{server.base}/random-{os.getpid()}")
    text = http("GET", f"{server.base}/metrics")[2].decode()
    assert samples(text, "actors_http_requests_total", route="unmatched", status="404") == 1
    assert f"random-{os.getpid()}" not in text


def test_a_scrape_never_fails_on_a_metrics_file_a_starting_worker_has_just_created(gunicorn):
    # prometheus_client creates a worker's file, then sizes it: a scrape between the two read an empty file and
    # answered 500 (seen under load, when workers restart). Such a file, as it is at that moment:
    server = gunicorn(workers=2)
    assert http("GET", f"{server.base}/api/actors?limit=5")[0] == 200
    for kind in ("counter", "histogram", "gauge_livesum"):
        open(os.path.join(server.metrics_dir, f"{kind}_999999.db"), "wb").close()
    for _ in range(4):  # whichever worker answers
        status, _, body = http("GET", f"{server.base}/metrics")
        assert status == 200, body[:500]
        assert samples(body.decode(), "actors_http_requests_total", route="/api/actors", status="200") == 1
