import json

import pytest

from actors.pagination import Cursor

SEED_SIZE = 400


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def walk(client, query=""):
    """Every page forward; returns the actors in order and the cursors of each page."""
    actors, pages, url = [], [], f"/api/actors?{query}"
    while True:
        body = get_json(client, url)
        actors += body["actors"]
        pages.append(body)
        if body["next"] is None:
            return actors, pages
        url = f"/api/actors?{query}&after={body['next']}"


def sort_key(actor):
    return (actor["name"].lower().encode(), actor["id"])


def test_first_page_has_default_limit_and_fields(client):
    body = get_json(client, "/api/actors")
    assert len(body["actors"]) == 25
    assert set(body["actors"][0]) == {"id", "name", "birth_year", "country", "known_for"}
    assert body["next"] and body["prev"] is None


def test_walking_all_pages_returns_each_actor_once_in_order(client):
    actors, pages = walk(client, "limit=100")
    assert len(actors) == SEED_SIZE
    assert len({a["id"] for a in actors}) == SEED_SIZE
    assert actors == sorted(actors, key=sort_key)
    assert [len(p["actors"]) for p in pages] == [100, 100, 100, 100]
    assert pages[-1]["next"] is None


def test_limit_edges(client):
    assert len(get_json(client, "/api/actors?limit=1")["actors"]) == 1
    assert len(get_json(client, "/api/actors?limit=100")["actors"]) == 100
    # A page that ends exactly at the last row says there is no next page.
    actors, pages = walk(client, "limit=80")
    assert [len(p["actors"]) for p in pages] == [80] * 5 and pages[-1]["next"] is None


def test_previous_pages_mirror_next_pages(client):
    first = get_json(client, "/api/actors?limit=7")
    second = get_json(client, f"/api/actors?limit=7&after={first['next']}")
    assert second["prev"]
    back = get_json(client, f"/api/actors?limit=7&before={second['prev']}")
    assert back["actors"] == first["actors"]
    assert back["prev"] is None and back["next"] == first["next"]


def test_cursor_past_the_end_gives_an_empty_page(client):
    token = Cursor("\U0010fffe", 2**62).encode()
    assert get_json(client, f"/api/actors?after={token}") == {"actors": [], "next": None, "prev": None}


@pytest.mark.parametrize("q", ["chl", "CHL", "Chl", "  chl "])
def test_search_is_a_case_insensitive_prefix(client, q):
    actors, _ = walk(client, f"q={q}&limit=3")
    assert actors and all(a["name"].lower().startswith("chl") for a in actors)
    assert len(actors) == 10  # each first name appears with ten surnames in the seed


def test_search_matches_non_ascii_and_full_names(client):
    actors, _ = walk(client, "q=björn ESP")
    assert [a["name"] for a in actors] == ["Björn Esposito"]


def test_search_treats_sql_wildcards_literally(client):
    assert get_json(client, "/api/actors?q=%25")["actors"] == []
    assert get_json(client, "/api/actors?q=_va")["actors"] == []


def test_one_actor_and_missing_actor(client):
    first = get_json(client, "/api/actors?limit=1")["actors"][0]
    assert get_json(client, f"/api/actors/{first['id']}") == first
    body = get_json(client, "/api/actors/999999", status=404)
    assert body["error"]["status"] == 404


@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/api/actors/1/2"])
def test_unknown_routes_are_json_404(client, path):
    assert get_json(client, path, status=404)["error"]["status"] == 404


@pytest.mark.parametrize(
    "segment",
    [
        "0",
        "-1",
        "abc",
        "1.5",
        "1e3",
        "+1",
        " 1",
        "٣",
        "99999999999999999999999",
        "9223372036854775808",
        "x" * 300,
        "999999",
    ],
)
def test_bad_or_unknown_ids_are_json_404_naming_id(client, segment):
    error = get_json(client, f"/api/actors/{segment}", status=404)["error"]
    assert error["status"] == 404 and error["parameter"] == "id"
    assert error["message"].startswith("id: ") and len(error["message"]) < 200


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/actors?limit=10&limit=20", "limit"),
        ("/api/actors?limit=10&limit=10", "limit"),
        ("/api/actors?q=a&limit=5&q=b", "q"),
        ("/api/actors?after=x&after=y", "after"),
        ("/api/actors/1?x=1&x=2", "x"),
        ("/healthz?probe=1&probe=2", "probe"),
        ("/api/actors?lmit=10", "lmit"),
        ("/api/actors?limit=10&Q=abc", "Q"),
        ("/api/actors/1?limit=5", "limit"),
        ("/api/actors?q=" + "x" * 5000, "q"),
        ("/api/actors?" + "z" * 5000 + "=1", "z" * 40 + "…"),
    ],
)
def test_repeated_and_unknown_parameters_are_400_naming_the_parameter(client, url, parameter):
    error = get_json(client, url, status=400)["error"]
    assert error["parameter"] == parameter
    assert error["message"].startswith(parameter) and len(error["message"]) < 300


def test_page_refuses_repeated_parameters_in_html(client):
    response = client.get("/?limit=5&limit=6")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "limit: given 2 times" in response.get_data(as_text=True)


def test_names_on_the_page_lead_to_the_actors_own_page(client):
    page = client.get("/?limit=3").get_data(as_text=True)
    href = page.split('<td><a href="')[1].split('"')[0]
    assert href.startswith("/actors/")
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/html"
    actor = get_json(client, "/api/actors/" + href.rsplit("/", 1)[1])
    html = response.get_data(as_text=True)
    assert f"<h1>{actor['name']}</h1>" in html and 'href="/"' in html


@pytest.mark.parametrize("segment", ["abc", "-1", "999999"])
def test_actor_page_for_a_bad_or_unknown_id_is_an_html_404_naming_id(client, segment):
    response = client.get(f"/actors/{segment}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "id: " in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-5", "limit"),
        ("limit=abc", "limit"),
        ("limit=1e2", "limit"),
        ("limit=" + "9" * 50, "limit"),
        ("after=garbage!", "after"),
        ("after=" + "A" * 600, "after"),
        ("before=e30", "before"),
        ("after=" + Cursor("a", 1).encode() + "&before=" + Cursor("b", 2).encode(), "after"),
        ("after=WyJhIiwwXQ", "after"),  # ["a",0]: id out of range
        ("after=WyJhIiwiMSJd", "after"),  # ["a","1"]: id not a number
        ("q=" + "x" * 101, "q"),
        ("q=a%00b", "q"),
        ("q=%1b", "q"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, query, parameter):
    body = get_json(client, f"/api/actors?{query}", status=400)
    assert body["error"]["parameter"] == parameter
    assert body["error"]["message"].startswith(parameter)


def test_wrong_method_is_json_405_with_allow(client):
    response = client.post("/api/actors")
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405
    assert "GET" in response.headers["Allow"]


def test_page_lists_escapes_and_links(client, make_database):
    from conftest import make_app
    import psycopg

    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO actors (name, birth_year) VALUES ('Aaa <script>alert(1)</script>', 1970)")
    app = make_app(url)
    try:
        html = app.test_client().get("/?limit=5").get_data(as_text=True)
    finally:
        app.extensions["database"].close()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'name="q"' in html and 'rel="next"' in html and 'rel="prev"' not in html


def test_page_follows_next_and_previous(client):
    page1 = client.get("/?limit=10").get_data(as_text=True)
    next_href = page1.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    page2 = client.get(next_href).get_data(as_text=True)
    assert 'rel="prev"' in page2
    prev_href = page2.split('rel="prev" href="')[1].split('"')[0].replace("&amp;", "&")
    assert client.get(prev_href).get_data(as_text=True) == page1


def test_page_search_and_bad_input_is_html(client):
    found = client.get("/?q=yuki").get_data(as_text=True)
    assert found.count('<td><a href="/actors/') == 10 and "Yuki " in found
    bad = client.get("/?limit=1000")
    assert bad.status_code == 400 and bad.mimetype == "text/html"
    assert "limit" in bad.get_data(as_text=True)


def test_health_and_readiness(client):
    assert get_json(client, "/healthz") == {"status": "ok"}
    assert get_json(client, "/readyz") == {"status": "ready"}


def test_request_ids_and_json_request_logs(client, capfd):
    capfd.readouterr()
    response = client.get("/api/actors?limit=2", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["msg"] == "request"]
    assert requests[0]["request_id"] == "abc-123" and requests[0]["status"] == 200
    assert requests[0]["method"] == "GET" and requests[0]["path"] == "/api/actors"
    assert isinstance(requests[0]["duration_ms"], float)
    assert requests[1]["request_id"] == generated


def test_unexpected_errors_are_json_500_and_logged(app, capfd, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["database"], "page", broken)
    capfd.readouterr()
    response = app.test_client().get("/api/actors")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"status": 500, "message": "internal error"}}
    assert "Traceback" not in response.get_data(as_text=True)
    errors = [json.loads(l) for l in capfd.readouterr().out.splitlines() if '"unhandled error"' in l]
    assert errors and "RuntimeError: boom" in errors[0]["traceback"]


def test_every_connection_has_bounded_waits_and_generic_plans(app):
    with app.extensions["database"].pool.connection() as conn:
        params = conn.info.get_parameters()
        assert params["tcp_user_timeout"] == "2000" and params["keepalives"] == "1"
        assert params["keepalives_idle"] == "1" and params["connect_timeout"] == "2"
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"
        assert conn.execute("SHOW plan_cache_mode").fetchone()[0] == "force_generic_plan"
