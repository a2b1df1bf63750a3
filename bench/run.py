"""`npm run bench`: how fast the app serves, how it scales, what the program costs to evaluate, how big the image is.

Everything runs on 127.0.0.1, in one go (about 5-10 minutes on 2 cores), and every figure is a ratio or a pair
measured in the same run, because these machines are noisy. Writes bench/results.json (top-level `ratios` plus the
raw figures), bench/chart.svg, and the table between the markers in README.md; prints the table.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from pgserver import PgServer, free_port, wait_for_port  # noqa: E402
from podman import BASE_IMAGE, build, env as podman_env, podman  # noqa: E402

IMAGE = "localhost/actors:bench"
DURATION = int(os.environ.get("BENCH_DURATION", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
LARGE = int(os.environ.get("BENCH_LARGE_ROWS", "1000000"))
SMALL = 1000
# Published size of the original article's base image, python:3 (Debian, full): `docker images` shows python:3.8 at
# 884 MB (https://markneumann.xyz/blog/docker-python); python:3.11 is quoted at about 900 MB
# (https://pythonz2h.com/chapter_12_cloud_devops_and_deployment/series_01_dockerizing_python_apps/slim_images_reduce_size).
PYTHON3_PUBLISHED_MB = 884
PYTHON3_SOURCE = "https://markneumann.xyz/blog/docker-python (docker images: python 3.8 884MB)"
LIST_SQL = "SELECT id, name, birth_year, country, known_for, sort_name FROM actors " "ORDER BY sort_name, id LIMIT 26"


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def wrk(url: str, connections: int = CONNECTIONS, duration: int = DURATION) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def pgbench(pg: PgServer, db: str, sql: str, clients: int, duration: int = DURATION) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql + ";\n")
    try:
        out = subprocess.run(
            [
                f"{pg.bindir}/pgbench",
                "-n",
                "-M",
                "prepared",
                "-f",
                f.name,
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(duration),
                "-h",
                "127.0.0.1",
                "-p",
                str(pg.port),
                "-U",
                "postgres",
                db,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    return {
        "tps": float(re.search(r"tps = ([\d.]+)", out).group(1)),
        "latency_ms": float(re.search(r"latency average = ([\d.]+) ms", out).group(1)),
    }


def cursor(sort_name: str, actor_id: int) -> str:
    raw = json.dumps([sort_name, actor_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class App:
    """The shipped image (or the Flask development server from it) on 127.0.0.1."""

    def __init__(self, database_url: str, dev_server: bool = False, extra_env: dict | None = None):
        self.port = free_port()
        self.name = f"actors-bench-{self.port}"
        env = {"DATABASE_URL": database_url, "PORT": str(self.port), **(extra_env or {})}
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        command = (
            ["python3", "-m", "flask", "--app", "actors.wsgi", "run", "--host", "127.0.0.1", "--port", str(self.port)]
            if dev_server
            else []
        )
        podman(
            "run",
            "-d",
            "--no-healthcheck",
            "--name",
            self.name,
            "--network",
            "host",
            "--read-only",
            "--read-only-tmpfs=false",
            "--tmpfs",
            "/tmp",
            *env_args,
            IMAGE,
            *command,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for_port(self.port, 30)
        for _ in range(100):
            try:
                if urllib.request.urlopen(f"{self.base}/readyz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.1)

    def stop(self) -> None:
        podman("rm", "-f", "-t", "5", self.name, check=False)


def create_db(pg: PgServer, name: str, rows: int) -> str:
    pg.psql(f'CREATE DATABASE "{name}"')
    url = pg.url(name)
    result = podman(
        "run",
        "--rm",
        "--no-healthcheck",
        "--network",
        "host",
        "-e",
        f"DATABASE_URL={url}",
        "-e",
        "DYNO=release.1",
        IMAGE,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"migration failed: {result.stdout}{result.stderr}")
    extra = rows - 400
    if extra > 0:
        pg.psql(
            "INSERT INTO actors (name, birth_year, country, known_for) "
            f"SELECT 'Bench Actor ' || lpad(i::text, 8, '0') || ' ' || md5(i::text), 1900 + i % 120, 'Nowhere', 'Benchmarks' "
            f"FROM generate_series(1, {extra}) AS i; ANALYZE actors;",
            name,
        )
    elif extra < 0:
        pg.psql(
            f"DELETE FROM actors WHERE id IN (SELECT id FROM actors ORDER BY id DESC LIMIT {-extra}); ANALYZE actors;",
            name,
        )
    return url


def deep_cursor(pg: PgServer, db: str) -> str:
    n = int(pg.psql("SELECT count(*) FROM actors", db).strip())
    row = pg.psql(f"SELECT sort_name, id FROM actors ORDER BY sort_name, id OFFSET {int(n * 0.99)} LIMIT 1", db).strip()
    sort_name, actor_id = row.rsplit("|", 1)
    return cursor(sort_name, int(actor_id))


def image_bench() -> dict:
    log("image: cold build (no cache) and rebuild after a one-line change")
    work = Path(tempfile.mkdtemp(prefix="actors-bench-ctx-"))
    shutil.copytree(ROOT / "app", work / "app")

    def timed_build(extra: list[str]) -> float:
        started = time.monotonic()
        subprocess.run(
            [
                "podman",
                "build",
                "-q",
                "--format",
                "docker",
                "--build-arg",
                f"BASE_IMAGE={BASE_IMAGE}",
                "-t",
                IMAGE,
                *extra,
                str(work / "app"),
            ],
            env=podman_env(),
            check=True,
            capture_output=True,
        )
        return time.monotonic() - started

    cold = timed_build(["--no-cache"])
    with open(work / "app" / "actors" / "views.py", "a") as f:
        f.write("\n# benchmark: a one-line change\n")
    rebuild = timed_build([])
    shutil.rmtree(work)
    build(IMAGE)  # the image as committed, for the serving benchmarks
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    return {
        "cold_build_s": round(cold, 2),
        "rebuild_s": round(rebuild, 2),
        "size_mb": round(size / 1e6, 1),
        "python3_published_mb": PYTHON3_PUBLISHED_MB,
        "python3_source": PYTHON3_SOURCE,
    }


def eval_bench(repeats: int = 9) -> dict:
    log("evaluation: each stack's program and an empty program under the Pulumi mocks, in rounds")
    results: dict[str, list[dict]] = {"empty": [], "k8s": [], "heroku": []}
    for _ in range(repeats):
        for program in results:
            # As Pulumi runs the program: TypeScript through ts-node (tsconfig.json's settings, swc).
            out = subprocess.run(
                ["node", "-r", "ts-node/register", "bench/eval.ts", program],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "HEROKU_API_KEY": "bench"},
            )
            results[program].append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary: dict = {
        p: {
            "wall_ms": statistics.median(r["wallMs"] for r in runs),
            "max_rss_mb": statistics.median(r["maxRssMb"] for r in runs),
            "resources": runs[0]["resources"],
        }
        for p, runs in results.items()
    }
    # Ratios of each round's back-to-back pair, then the median: drift in machine load cancels out.
    for p in ("k8s", "heroku"):
        summary[p]["ratio_wall"] = statistics.median(
            a["wallMs"] / e["wallMs"] for a, e in zip(results[p], results["empty"])
        )
        summary[p]["ratio_rss"] = statistics.median(
            a["maxRssMb"] / e["maxRssMb"] for a, e in zip(results[p], results["empty"])
        )
    return summary


def profile_request(url: str) -> list[tuple[str, float]]:
    """Where one request's time goes: cProfile over 300 in-process requests (the same code the workers run)."""
    code = f"""
import cProfile, pstats, io, os
os.environ['DATABASE_URL'] = {url!r}
from actors import create_app
app = create_app(); client = app.test_client()
for _ in range(50): client.get('/api/actors')
prof = cProfile.Profile(); prof.enable()
for _ in range(300): client.get('/api/actors')
prof.disable()
st = pstats.Stats(prof); total = st.total_tt
groups = {{'database (psycopg)': 'psycopg', 'JSON encoding': 'json', 'Flask/Werkzeug': ('flask', 'werkzeug'),
          'metrics': 'prometheus_client', 'logging': 'logging', 'app code': '/app/actors'}}
out = {{k: 0.0 for k in groups}}
for (file, line, fn), (cc, nc, tt, ct, callers) in st.stats.items():
    for name, keys in groups.items():
        keys = keys if isinstance(keys, tuple) else (keys,)
        if any(k in file for k in keys):
            out[name] += tt; break
import json; print('PROFILE ' + json.dumps({{'total_s': total, **out}}))
"""
    result = podman(
        "run", "--rm", "--no-healthcheck", "--network", "host", "--entrypoint", "python3", IMAGE, "-c", code
    )
    data = json.loads(next(l for l in result.stdout.splitlines() if l.startswith("PROFILE "))[len("PROFILE ") :])
    total = data.pop("total_s")
    return sorted(((k, round(v / total, 3)) for k, v in data.items()), key=lambda kv: -kv[1]) + [
        ("per request (ms, profiled)", round(total / 300 * 1000, 2))
    ]


def main() -> int:
    started = time.monotonic()
    image = image_bench()
    results: dict = {
        "image": image,
        "settings": {
            "duration_s": DURATION,
            "rounds": ROUNDS,
            "connections": CONNECTIONS,
            "large_rows": LARGE,
            "cores": os.cpu_count(),
        },
    }
    with PgServer() as pg:
        log(f"databases: {SMALL} and {LARGE} actors")
        small = create_db(pg, "bench_small", SMALL)
        large = create_db(pg, "bench_large", LARGE)

        log("serving: shipped image vs the Flask development server vs pgbench's ceiling, in alternating rounds")
        path = "/api/actors?limit=25"
        app, dev = App(small), App(small, dev_server=True)
        rounds: list[dict] = []
        try:
            wrk(f"{app.base}{path}", duration=2)  # warm up both
            wrk(f"{dev.base}{path}", duration=2)
            for _ in range(ROUNDS):
                # Back to back, so each ratio compares figures taken under the same machine load.
                rounds.append(
                    {
                        "shipped": wrk(f"{app.base}{path}"),
                        "dev_server": wrk(f"{dev.base}{path}"),
                        "pgbench": pgbench(pg, "bench_small", LIST_SQL, CONNECTIONS),
                    }
                )
        finally:
            app.stop()
            dev.stop()
        med = lambda key, field: statistics.median(r[key][field] for r in rounds)  # noqa: E731
        serving = {"rps": med("shipped", "rps"), "p50_ms": med("shipped", "p50_ms"), "p99_ms": med("shipped", "p99_ms")}
        dev_serving = {
            "rps": med("dev_server", "rps"),
            "p50_ms": med("dev_server", "p50_ms"),
            "p99_ms": med("dev_server", "p99_ms"),
        }
        ceiling = {"tps": med("pgbench", "tps")}
        results["serving"] = {
            "shipped": serving,
            "dev_server": dev_serving,
            "pgbench": ceiling,
            "rounds": rounds,
            "ratio_vs_dev_server": statistics.median(r["shipped"]["rps"] / r["dev_server"]["rps"] for r in rounds),
            "ratio_vs_pgbench": statistics.median(r["shipped"]["rps"] / r["pgbench"]["tps"] for r in rounds),
        }

        log("scale: first page and a page in the last 1%, 1k and 1M actors; OFFSET beside keyset")
        scale: dict = {}
        app_small, app_large = App(small), App(large)
        try:
            for label, app_, db in (("small", app_small, "bench_small"), ("large", app_large, "bench_large")):
                deep = deep_cursor(pg, db)
                wrk(f"{app_.base}{path}", connections=4, duration=2)
                scale[label] = {
                    "first_p50_ms": wrk(f"{app_.base}{path}", connections=4, duration=5)["p50_ms"],
                    "deep_p50_ms": wrk(f"{app_.base}{path}&after={deep}", connections=4, duration=5)["p50_ms"],
                }
            n = int(pg.psql("SELECT count(*) FROM actors", "bench_large").strip())
            key = pg.psql(
                f"SELECT sort_name, id FROM actors ORDER BY sort_name, id OFFSET {int(n * 0.99)} LIMIT 1", "bench_large"
            ).strip()
            sort_name, actor_id = key.rsplit("|", 1)
            quoted = sort_name.replace("'", "''")
            keyset_sql = (
                f"SELECT id, name FROM actors WHERE (sort_name, id) > ('{quoted}', {actor_id}) "
                "ORDER BY sort_name, id LIMIT 26"
            )
            offset_sql = f"SELECT id, name FROM actors ORDER BY sort_name, id OFFSET {int(n * 0.99)} LIMIT 26"
            scale["db_keyset_deep_ms"] = pgbench(pg, "bench_large", keyset_sql, 2, 5)["latency_ms"]
            scale["db_offset_deep_ms"] = pgbench(pg, "bench_large", offset_sql, 2, 5)["latency_ms"]
        finally:
            app_small.stop()
            app_large.stop()
        results["scale"] = scale
        log("profile: where one request's time goes")
        results["profile"] = profile_request(small)
    results["evaluation"] = eval_bench()

    ev = results["evaluation"]
    results["ratios"] = {
        "serving_vs_dev_server": round(results["serving"]["ratio_vs_dev_server"], 2),
        "serving_vs_pgbench": round(results["serving"]["ratio_vs_pgbench"], 3),
        "deep_vs_first_page": round(scale["large"]["deep_p50_ms"] / scale["large"]["first_p50_ms"], 2),
        "large_vs_small_table": round(scale["large"]["first_p50_ms"] / scale["small"]["first_p50_ms"], 2),
        "offset_vs_keyset_deep": round(scale["db_offset_deep_ms"] / scale["db_keyset_deep_ms"], 1),
        "eval_vs_empty_k8s": round(ev["k8s"]["ratio_wall"], 2),
        "eval_vs_empty_heroku": round(ev["heroku"]["ratio_wall"], 2),
        "eval_memory_vs_empty_k8s": round(ev["k8s"]["ratio_rss"], 2),
        "eval_memory_vs_empty_heroku": round(ev["heroku"]["ratio_rss"], 2),
        "image_vs_python3": round(image["size_mb"] / image["python3_published_mb"], 3),
        "rebuild_vs_cold": round(image["rebuild_s"] / image["cold_build_s"], 3),
    }
    results["took_s"] = round(time.monotonic() - started)
    results["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    from report import chart_svg, table_markdown, update_readme  # noqa: E402

    (ROOT / "bench" / "chart.svg").write_text(chart_svg(results))
    table = table_markdown(results)
    update_readme(ROOT / "README.md", table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
