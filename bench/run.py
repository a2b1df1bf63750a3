"""`npm run bench`: how fast the app serves, how it scales, what the program costs to evaluate, how big the image is.

Everything runs on 127.0.0.1, in one go (about 5-10 minutes on 2 cores), and every figure is a ratio or a pair
measured in the same run, because these machines are noisy. Writes bench/results.json (top-level `ratios` plus the
raw figures), bench/chart.svg, and the table between the markers in docs/benchmarks.md; prints the table.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from netns import Netns  # noqa: E402
from pgserver import PgServer, free_port, wait_for_port  # noqa: E402
from podman import BASE_IMAGE, build, env as podman_env, podman  # noqa: E402

IMAGE = "localhost/actors:bench"
# The landed code before issue 23's serving work: its image is profiled beside the current one ("before"/"after").
BASELINE_REV = os.environ.get("BENCH_BASELINE_REV", "3fbbdf5")
BASELINE_IMAGE = "localhost/actors:bench-baseline"
# Workers the image does not ship, mounted for the benchmark only: the sync-worker contrast and the CPU sampler.
WORKERS_DIR = ROOT / "bench" / "workers"
SYNC_WORKER = "sync_worker.DrainingSyncWorker"
PROFILED_WORKER = "profiled_worker.ProfiledGeventWorker"
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


def wrk(url: str, connections: int = CONNECTIONS, duration: int = DURATION, headers: tuple[str, ...] = ()) -> dict:
    header_args = [a for h in headers for a in ("-H", h)]
    proc = subprocess.Popen(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *header_args, url],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed: {out}")

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
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "client_cpu_s": usage.ru_utime + usage.ru_stime,
    }


def pgbench(pg: PgServer, db: str, sql: str, clients: int, duration: int = DURATION) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql + ";\n")
    server_cpu = cpu_seconds(postgres_pids(pg))
    before = os.times()
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
    after = os.times()
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    queries = tps * duration
    return {
        "tps": tps,
        "latency_ms": float(re.search(r"latency average = ([\d.]+) ms", out).group(1)),
        "cpu_ms_per_query": {
            "postgres": round((cpu_seconds(postgres_pids(pg)) - server_cpu) / queries * 1000, 4),
            "pgbench": round(
                (after.children_user + after.children_system - before.children_user - before.children_system)
                / queries
                * 1000,
                4,
            ),
        },
    }


def descendants(root: int) -> list[int]:
    """`root` and every process below it (host PIDs, from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime, stime, and those of its children that ended (PostgreSQL's backends come and go with pgbench's
            # connections; the postmaster reaps them, so their time lands in its cutime and cstime).
            total += sum(int(v) for v in fields[11:15])
        except (OSError, IndexError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def memory_mb(pids: list[int]) -> float:
    """Proportional set size (shared pages split between the processes that map them), summed."""
    total_kb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total_kb += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return round(total_kb / 1024, 1)


def postgres_pids(pg: PgServer) -> list[int]:
    with open(f"{pg.data}/postmaster.pid") as f:
        return descendants(int(f.readline()))


def cursor(sort_name: str, actor_id: int) -> str:
    raw = json.dumps([sort_name, actor_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class App:
    """The shipped image (or the Flask development server from it) on 127.0.0.1."""

    def __init__(
        self,
        database_url: str,
        dev_server: bool = False,
        extra_env: dict | None = None,
        sync_workers: bool = False,
        image: str | None = None,
        profile_dir: str | None = None,
        command: list[str] | None = None,
        port: int | None = None,
    ):
        self.port = port or free_port()
        mounts = ["-v", f"{WORKERS_DIR}:/bench-workers:ro"]
        extra_env = {**(extra_env or {}), "PYTHONPATH": "/bench-workers"}
        if sync_workers:  # the same image with gunicorn's (draining) sync workers instead of gevent
            extra_env["GUNICORN_CMD_ARGS"] = f"--worker-class={SYNC_WORKER}"
        if profile_dir:  # the image's gevent worker with the CPU sampler; counts land in profile_dir at exit
            extra_env.update(GUNICORN_CMD_ARGS=f"--worker-class={PROFILED_WORKER}", PROFILE_DIR="/profile")
            mounts += ["-v", f"{profile_dir}:/profile"]
        self.name = f"actors-bench-{self.port}"
        env = {"DATABASE_URL": database_url, "PORT": str(self.port), **extra_env}
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        if dev_server:
            command = ["python3", "-m", "flask", "--app", "actors.wsgi", "run", "--host", "127.0.0.1"]
            command += ["--port", str(self.port)]
        command = command or []
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
            *mounts,
            *env_args,
            image or IMAGE,
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

    def pids(self) -> list[int]:
        """The container's processes: gunicorn's arbiter (PID 1 inside) and its workers, or the dev server."""
        return descendants(int(podman("inspect", "--format", "{{.State.Pid}}", self.name).stdout.strip()))

    def stop(self) -> None:
        podman("rm", "-f", "-t", "5", self.name, check=False)

    def stop_gracefully(self) -> None:
        """SIGTERM, and wait: the workers finish and write what they have to (the sampler's counts)."""
        podman("stop", "-t", "20", self.name, check=False)
        self.stop()


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


def measured_wrk(pg: PgServer, app: App, url: str, headers: tuple[str, ...] = ()) -> dict:
    """wrk against `app`, with the CPU time the app, PostgreSQL and wrk spent per request meanwhile."""
    app_pids, pg_pids = app.pids(), postgres_pids(pg)
    app_cpu, pg_cpu = cpu_seconds(app_pids), cpu_seconds(pg_pids)
    result = wrk(url, headers=headers)
    n = max(result["requests"], 1)
    result["cpu_ms_per_request"] = {
        "app": round((cpu_seconds(app_pids) - app_cpu) / n * 1000, 4),
        "postgres": round((cpu_seconds(postgres_pids(pg)) - pg_cpu) / n * 1000, 4),
        "wrk": round(result.pop("client_cpu_s") / n * 1000, 4),
    }
    return result


class SlowClients:
    """Holds `count` slow-header (slowloris) and `count` slow-body connections open against 127.0.0.1:port, each
    trickling a byte or a header line every second, and opens a new one whenever the server closes one."""

    FIRST = {
        "header": b"GET /api/actors HTTP/1.1\r\nHost: bench\r\n",
        "body": b"POST /api/actors HTTP/1.1\r\nHost: bench\r\nContent-Length: 1000000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n",
    }
    NEXT = {"header": b"X-Slow: 1\r\n", "body": b"a"}

    def __init__(self, port: int, count: int = 200):
        self.port, self.count = port, count
        self.open = {"header": 0, "body": 0}
        self.closed_by_server = 0
        self._stop = threading.Event()

    async def _hold(self, kind: str) -> None:
        while not self._stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            self.open[kind] += 1
            try:
                writer.write(self.FIRST[kind])
                while not self._stop.is_set():
                    try:
                        if await asyncio.wait_for(reader.read(65536), 1.0) == b"":
                            self.closed_by_server += 1
                            break
                    except asyncio.TimeoutError:
                        writer.write(self.NEXT[kind])
                        await writer.drain()
            except OSError:
                self.closed_by_server += 1
            finally:
                self.open[kind] -= 1
                writer.close()

    async def _main(self) -> None:
        await asyncio.gather(*(self._hold(kind) for kind in ("header", "body") for _ in range(self.count)))

    def __enter__(self) -> "SlowClients":
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while sum(self.open.values()) < 2 * self.count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)


def timed_get(url: str, timeout: float) -> tuple[float, float, int | None, str | None]:
    """(sent, answered, status or None, Retry-After) of one plain GET on a new connection."""
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return sent, time.monotonic(), response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return sent, time.monotonic(), error.code, error.headers.get("Retry-After")
    except OSError:
        return sent, time.monotonic(), None, None


def slow_clients_bench(app: App, seconds: float = 10, clients: int = 4, limit_s: float = 2.0) -> dict:
    """Plain requests (each on a new connection, `clients` at a time) while SlowClients holds 200 + 200 connections:
    how many got a 200 within `limit_s`."""
    url = f"{app.base}/api/actors?limit=25"
    results: list[tuple] = []
    with SlowClients(app.port) as slow:
        held: list[int] = []

        def plain() -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                results.append(timed_get(url, limit_s))

        threads = [threading.Thread(target=plain) for _ in range(clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            held.append(sum(slow.open.values()))
            time.sleep(0.5)
        closed = slow.closed_by_server
    ok = [r for r in results if r[2] == 200 and r[1] - r[0] <= limit_s]
    latencies = sorted(r[1] - r[0] for r in ok)
    return {
        "requests": len(results),
        "ok_within_2s": len(ok),
        "ok_ratio": round(len(ok) / max(len(results), 1), 3),
        "p99_ms_of_ok": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        "slow_connections_held_median": statistics.median(held) if held else 0,
        "slow_connections_closed_by_server": closed,
    }


def failover_bench(outage_s: float = 2.0, after_s: float = 4.0) -> dict:
    """The database stops and comes back (outage), then stops and a copy of it starts on the same port (failover, the
    old connections dead). A client sends a plain request every 10 ms throughout; recovery is the time from
    PostgreSQL accepting connections (pg_isready) to the first 200."""
    log("failover: database outage and failover to a new primary at the same address, under a steady client")
    out: dict = {}
    with PgServer() as pg:
        url = create_db(pg, "failover", SMALL)
        app = App(url)
        try:
            workers = set(app.pids())
            for scenario in ("outage", "failover"):
                records: list[tuple] = []
                stop = threading.Event()

                def probe() -> None:
                    while not stop.is_set():
                        records.append(timed_get(f"{app.base}/api/actors?limit=5", 1.0))
                        time.sleep(0.01)

                thread = threading.Thread(target=probe)
                thread.start()
                time.sleep(1.0)
                pg.stop()
                down = time.monotonic()
                time.sleep(outage_s)
                restarted = time.monotonic()
                pg.start(wait=False) if scenario == "outage" else pg.failover(wait=False)
                while not pg.accepting():
                    time.sleep(0.01)
                up = time.monotonic()
                time.sleep(after_s)
                stop.set()
                thread.join()
                during = [r for r in records if r[0] >= down and r[1] <= restarted]
                after = [r for r in records if r[0] >= up]
                first_ok = next((r[1] for r in after if r[2] == 200), None)
                out[scenario] = {
                    "recovery_s": round(max(first_ok - up, 0.0), 3) if first_ok else None,
                    "during": len(during),
                    "during_503_with_retry_after": sum(1 for r in during if r[2] == 503 and r[3]),
                    "after": len(after),
                    "failed_after_recovery": sum(1 for r in after if r[2] != 200),
                    "failed_after_2s": sum(1 for r in after if r[0] >= up + 2 and r[2] != 200),
                    "restart_to_accepting_s": round(up - restarted, 3),
                }
            out["workers_alive"] = set(app.pids()) == workers
        finally:
            app.stop()
    return out


def partition_bench(hold_s: float = 6.0, after_s: float = 4.0, clients: int = 8) -> dict:
    """PostgreSQL in a network namespace of its own; under steady load its packets are dropped (no RST, no FIN: a dead
    node or a partition), then a new primary (a copy of the data) comes up at the same address. `clients` threads send
    plain requests throughout, each waiting up to 30 s for an answer."""
    log("partition: the database's packets dropped mid-load, then a new primary at the same address")
    with Netns() as ns:
        pg = PgServer(host=ns.address, netns=ns.name)
        with pg:
            url = create_db(pg, "partition", SMALL)
            app = App(url)
            try:
                workers = set(app.pids())
                records: list[tuple] = []
                stop = threading.Event()

                def probe() -> None:
                    while not stop.is_set():
                        records.append(timed_get(f"{app.base}/api/actors?limit=5", 30.0))
                        time.sleep(0.01)

                threads = [threading.Thread(target=probe) for _ in range(clients)]
                for t in threads:
                    t.start()
                time.sleep(1.5)
                ns.drop()
                dropped = time.monotonic()
                time.sleep(hold_s)
                pg.failover()  # the old server stops (nothing it sends gets out), a copy starts at the same address
                ns.heal()
                healed = time.monotonic()
                while not pg.accepting():
                    time.sleep(0.01)
                up = time.monotonic()
                time.sleep(after_s)
                stop.set()
                for t in threads:
                    t.join(40)
                alive = set(app.pids()) == workers
            finally:
                app.stop()
    first_503 = min((r[1] for r in records if r[1] >= dropped and r[2] == 503 and r[3]), default=None)
    first_200 = min((r[1] for r in records if r[1] >= healed and r[2] == 200), default=None)
    during = [r for r in records if r[0] >= dropped and r[1] <= healed]
    return {
        "first_503_s": round(first_503 - dropped, 3) if first_503 else None,
        "first_200_after_new_primary_s": round(max(first_200 - up, 0.0), 3) if first_200 else None,
        "during": len(during),
        "during_503_with_retry_after": sum(1 for r in during if r[2] == 503 and r[3]),
        "longest_answer_s": round(max((r[1] - r[0] for r in records), default=0.0), 3),
        "unanswered": sum(1 for r in records if r[2] is None),
        "failed_2s_after_new_primary": sum(1 for r in records if r[0] >= up + 2 and r[2] != 200),
        "workers_alive": alive,
        "hold_s": hold_s,
    }


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


def eval_bench(repeats: int = 5) -> dict:
    log("evaluation: `pulumi preview` of each stack and of an empty program through the real CLI, in rounds")
    # The k8s stack checks its cluster first: every preview runs inside the tests' control plane (npm run dev-cluster).
    out = subprocess.run(
        [
            "npm",
            "run",
            "--silent",
            "dev-cluster",
            "--",
            "env",
            "ACTORS_CHART_REPOSITORY=http://127.0.0.1:8879",
            "node",
            "-r",
            "ts-node/register/transpile-only",
            "bench/eval.ts",
            "--rounds",
            str(repeats),
            "empty",
            "k8s",
            "heroku",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HEROKU_API_KEY": "bench"},
    )
    results: dict[str, list[dict]] = {"empty": [], "k8s": [], "heroku": []}
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            run = json.loads(line)
            results[run["program"]].append(run)
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


def build_baseline() -> None:
    """The image of BASELINE_REV's app/ (the code before the serving work), for the before/after breakdown."""
    with tempfile.TemporaryDirectory(prefix="actors-bench-baseline-") as tmp:
        archive = subprocess.run(["git", "archive", BASELINE_REV, "app"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        build(BASELINE_IMAGE, context=Path(tmp) / "app")


def cpu_breakdown(pg: PgServer, url: str, rounds: int = 2) -> dict:
    """Where a worker's CPU goes per request, before (BASELINE_REV) and after, the same way for both: the image's
    gevent worker with a sampler (bench/workers/profiled_worker.py) under the serving load, in alternating rounds.
    Each group's share of the samples times the app's measured CPU per request gives milliseconds per request."""
    log(f"CPU per request, broken down: {BASELINE_REV} (before) and the working tree (after), alternating rounds")
    images = {"before": BASELINE_IMAGE, "after": IMAGE}
    counts: dict[str, dict[str, int]] = {side: {} for side in images}
    functions: dict[str, dict[str, int]] = {side: {} for side in images}
    cpu: dict[str, list[float]] = {side: [] for side in images}
    rps: dict[str, list[float]] = {side: [] for side in images}
    for _ in range(rounds):
        for side, image in images.items():
            profile_dir = tempfile.mkdtemp(prefix="actors-bench-profile-")
            os.chmod(profile_dir, 0o777)  # the container's user (10001) writes there
            app = App(url, image=image, profile_dir=profile_dir)
            try:
                wrk(f"{app.base}/api/actors?limit=25", duration=2)
                measured = measured_wrk(pg, app, f"{app.base}/api/actors?limit=25")
            finally:
                app.stop_gracefully()
            for name in os.listdir(profile_dir):
                found = json.loads((Path(profile_dir) / name).read_text())
                for group, n in found["groups"].items():
                    counts[side][group] = counts[side].get(group, 0) + n
                for where, n in found["functions"].items():
                    functions[side][where] = functions[side].get(where, 0) + n
            shutil.rmtree(profile_dir, ignore_errors=True)
            cpu[side].append(measured["cpu_ms_per_request"]["app"])
            rps[side].append(measured["rps"])
    out: dict = {"baseline_rev": BASELINE_REV}
    for side in images:
        total = max(sum(counts[side].values()), 1)
        app_ms = statistics.median(cpu[side])
        out[side] = {
            "rps": statistics.median(rps[side]),
            "app_cpu_ms_per_request": app_ms,
            "samples": total,
            "ms_per_request": {
                group: round(app_ms * n / total, 4) for group, n in sorted(counts[side].items(), key=lambda kv: -kv[1])
            },
            # The busiest innermost functions, as a share of all samples: what to look at next.
            "top_functions": {
                where: round(n / total, 3) for where, n in sorted(functions[side].items(), key=lambda kv: -kv[1])[:15]
            },
        }
    return out


def main() -> int:
    started = time.monotonic()
    image = image_bench()
    build_baseline()
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

        log("serving: shipped image (gevent) vs sync workers vs the Flask dev server vs pgbench, alternating rounds")
        path = "/api/actors?limit=25"
        servers = {
            "shipped": App(small),
            "sync": App(small, sync_workers=True),
            "dev_server": App(small, dev_server=True),
        }
        rounds: list[dict] = []
        try:
            for server in servers.values():  # warm up
                wrk(f"{server.base}{path}", duration=2)
            for _ in range(ROUNDS):
                # Back to back, so each ratio compares figures taken under the same machine load.
                one = {name: measured_wrk(pg, server, f"{server.base}{path}") for name, server in servers.items()}
                one["pgbench"] = pgbench(pg, "bench_small", LIST_SQL, CONNECTIONS)
                rounds.append(one)
            memory = {name: memory_mb(server.pids()) for name, server in servers.items()}
        finally:
            for server in servers.values():
                server.stop()
        med = lambda key, field: statistics.median(r[key][field] for r in rounds)  # noqa: E731
        figures = {
            name: {
                **{field: med(name, field) for field in ("rps", "p50_ms", "p99_ms")},
                "memory_mb": memory[name],
                "cpu_ms_per_request": {
                    part: statistics.median(r[name]["cpu_ms_per_request"][part] for r in rounds)
                    for part in ("app", "postgres", "wrk")
                },
            }
            for name in servers
        }
        results["serving"] = {
            **figures,
            "pgbench": {
                "tps": med("pgbench", "tps"),
                "cpu_ms_per_query": {
                    part: statistics.median(r["pgbench"]["cpu_ms_per_query"][part] for r in rounds)
                    for part in ("postgres", "pgbench")
                },
            },
            "rounds": rounds,
            "ratio_vs_dev_server": statistics.median(r["shipped"]["rps"] / r["dev_server"]["rps"] for r in rounds),
            "ratio_vs_pgbench": statistics.median(r["shipped"]["rps"] / r["pgbench"]["tps"] for r in rounds),
            "ratio_vs_sync": statistics.median(r["shipped"]["rps"] / r["sync"]["rps"] for r in rounds),
        }

        log("slow clients: 200 slow-header and 200 slow-body connections held open; plain requests meanwhile")
        results["slow_clients"] = {}
        for name, sync in (("shipped", False), ("sync", True)):
            server = App(small, sync_workers=sync)
            try:
                results["slow_clients"][name] = slow_clients_bench(server)
            finally:
                server.stop()

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
        results["cpu_breakdown"] = cpu_breakdown(pg, small)
    results["failover"] = failover_bench()
    results["partition"] = partition_bench()
    results["evaluation"] = eval_bench()

    ev = results["evaluation"]
    results["ratios"] = {
        "serving_vs_dev_server": round(results["serving"]["ratio_vs_dev_server"], 2),
        "serving_vs_pgbench": round(results["serving"]["ratio_vs_pgbench"], 3),
        "gevent_vs_sync_rps": round(results["serving"]["ratio_vs_sync"], 2),
        "gevent_vs_sync_memory": round(
            results["serving"]["shipped"]["memory_mb"] / results["serving"]["sync"]["memory_mb"], 2
        ),
        "slow_clients_ok": results["slow_clients"]["shipped"]["ok_ratio"],
        "slow_clients_ok_sync": results["slow_clients"]["sync"]["ok_ratio"],
        "recovery_after_outage_s": results["failover"]["outage"]["recovery_s"],
        "recovery_after_failover_s": results["failover"]["failover"]["recovery_s"],
        "failed_2s_after_recovery": results["failover"]["outage"]["failed_after_2s"]
        + results["failover"]["failover"]["failed_after_2s"],
        "partition_first_503_s": results["partition"]["first_503_s"],
        "partition_first_200_after_new_primary_s": results["partition"]["first_200_after_new_primary_s"],
        "partition_unanswered": results["partition"]["unanswered"],
        "app_cpu_after_vs_before": round(
            results["cpu_breakdown"]["after"]["app_cpu_ms_per_request"]
            / results["cpu_breakdown"]["before"]["app_cpu_ms_per_request"],
            2,
        ),
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
    from report import TABLE_DOC, chart_svg, table_markdown, update_readme  # noqa: E402

    (ROOT / "bench" / "chart.svg").write_text(chart_svg(results))
    table = table_markdown(results)
    update_readme(ROOT / TABLE_DOC, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
