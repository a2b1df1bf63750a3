"""The database goes away and comes back, or fails over to a new primary at the same address: 503 with Retry-After
meanwhile, and recovery without a restart. Recovery is immediate: once the database accepts connections again (the
harness returns only then), no request fails, because a request that finds no usable connection opens one itself and
connections to the old server are dropped before use. (How fast, in seconds, is the benchmark's failover phase.)"""
from conftest import http, http_json


def assert_unavailable(get, paths=("/api/actors", "/api/actors/1", "/readyz")):
    for path in paths:
        status, headers, body = get(path)
        assert status == 503, path
        assert headers["Retry-After"] == "5"
        assert body["error"]["status"] == 503


def test_in_process_app_answers_503_then_recovers(client, pg_control):
    def get(path):
        response = client.get(path)
        return response.status_code, response.headers, response.get_json()

    assert client.get("/api/actors").status_code == 200
    pg_control.stop()
    assert_unavailable(get)
    page = client.get("/")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert client.get("/healthz").status_code == 200
    pg_control.start()
    assert [client.get("/api/actors").status_code for _ in range(5)] == [200] * 5
    assert client.get("/readyz").status_code == 200


def test_idle_connections_to_a_failed_primary_are_not_used(client, pg_control):
    # Both pooled connections idle, then the server they point to is replaced while nobody is looking.
    assert [client.get("/api/actors").status_code for _ in range(3)] == [200] * 3
    assert client.application.extensions["database"].stats()["pool_available"] >= 1
    pg_control.failover()
    assert [client.get("/api/actors").status_code for _ in range(5)] == [200] * 5


def serve_everywhere(server, requests=30):
    """Enough requests that every worker has used (and pooled) a connection."""
    assert [http("GET", f"{server.base}/api/actors?limit=5")[0] for _ in range(requests)] == [200] * requests


def test_gunicorn_workers_survive_an_outage(gunicorn, pg_control):
    server = gunicorn(workers=2)
    serve_everywhere(server)
    workers = server.worker_pids()
    assert len(workers) == 2
    pg_control.stop()
    for _ in range(5):
        assert_unavailable(lambda path: http_json(f"{server.base}{path}"))
    assert http("GET", f"{server.base}/healthz")[0] == 200
    pg_control.start()
    assert [http("GET", f"{server.base}/api/actors")[0] for _ in range(20)] == [200] * 20
    assert http("GET", f"{server.base}/readyz")[0] == 200
    assert server.worker_pids() == workers, "a worker died or was restarted"


def test_gunicorn_recovers_from_a_failover_to_a_new_primary(gunicorn, pg_control):
    server = gunicorn(workers=2)
    serve_everywhere(server)
    workers = server.worker_pids()
    # Straight to a new primary: every pooled connection now points at a server that is gone.
    pg_control.failover()
    assert [http("GET", f"{server.base}/api/actors")[0] for _ in range(20)] == [200] * 20
    # An outage that ends in a failover: 503 with Retry-After until the new primary accepts connections.
    serve_everywhere(server)
    pg_control.stop()
    assert_unavailable(lambda path: http_json(f"{server.base}{path}"))
    pg_control.failover()
    assert [http("GET", f"{server.base}/api/actors")[0] for _ in range(20)] == [200] * 20
    assert server.worker_pids() == workers, "a worker died or was restarted"
