"""The database goes away and comes back: 503 with Retry-After meanwhile, recovery without a restart."""
import time

from conftest import http, http_json


def wait_for(predicate, timeout=30.0, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_in_process_app_answers_503_then_recovers(client, pg_control):
    assert client.get("/api/actors").status_code == 200
    pg_control.stop()
    for path in ("/api/actors", "/api/actors/1", "/readyz"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "5"
        assert response.get_json()["error"]["status"] == 503
    page = client.get("/")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert client.get("/healthz").status_code == 200
    pg_control.start()
    assert wait_for(lambda: client.get("/api/actors").status_code == 200)
    assert client.get("/readyz").status_code == 200


def test_gunicorn_workers_survive_an_outage(gunicorn, pg_control):
    server = gunicorn(workers=2)
    assert http_json(f"{server.base}/api/actors")[0] == 200
    workers = server.worker_pids()
    assert len(workers) == 2
    pg_control.stop()
    for _ in range(10):
        status, headers, _body = http("GET", f"{server.base}/api/actors")
        assert status == 503 and headers["Retry-After"] == "5"
    assert http("GET", f"{server.base}/healthz")[0] == 200
    pg_control.start()
    assert wait_for(lambda: all(http("GET", f"{server.base}/api/actors")[0] == 200 for _ in range(6)))
    assert server.worker_pids() == workers, "a worker died or was restarted"
