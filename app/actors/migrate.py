"""Apply app/migrations/*.sql in order: `python3 -m actors.migrate` (the image's `bin/migrate`).

Each file runs once, in its own transaction, and is recorded in schema_migrations with its checksum. A session-level
advisory lock serialises concurrent runs (two release-phase dynos, two rollout Jobs): the second waits, then finds
nothing left to do.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from . import logs
from .settings import SettingsError, Settings

log = logging.getLogger("actors.migrate")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# pg_advisory_lock key: the first 8 bytes of sha256("actors.migrate"), as a signed bigint.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"actors.migrate").digest()[:8], "big", signed=True)
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_case.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        found[version] = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def migrate(conninfo: str, directory: Path = MIGRATIONS_DIR, **connect_kwargs) -> list[Migration]:
    """Apply what is pending; returns what this run applied."""
    migrations = discover(directory)
    applied_now: list[Migration] = []
    with psycopg.connect(conninfo, autocommit=True, **connect_kwargs) as conn:
        # Migrations may rewrite tables: no statement timeout for them.
        conn.execute("SET statement_timeout = 0")
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
            for migration in migrations:
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:04d}_{migration.name} was changed after it was applied;"
                            " add a new migration instead"
                        )
                    continue
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration)
                log.info(
                    "migration applied",
                    extra={
                        "version": migration.version,
                        "migration": migration.name,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied_now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="actors.migrate", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="keep retrying while the database is unreachable, up to this long (default 60)",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"actors: configuration error: {exc}", file=sys.stderr, flush=True)
        return 2
    logs.configure(settings.log_level)
    kwargs = {k: v for k, v in settings.conninfo_kwargs.items() if k != "options"}
    deadline = time.monotonic() + args.wait
    while True:
        try:
            applied = migrate(settings.database_url, **kwargs)
        except MigrationError as exc:
            log.error("migration failed", extra={"error": str(exc)})
            return 1
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                log.error("database unreachable; giving up", extra={"error": str(exc).strip()})
                return 1
            log.warning("database unreachable; retrying", extra={"error": str(exc).strip()})
            time.sleep(2)
            continue
        except psycopg.Error as exc:
            log.error("migration failed", extra={"error": str(exc).strip()})
            return 1
        log.info("migrations up to date", extra={"applied": [f"{m.version:04d}_{m.name}" for m in applied]})
        return 0


if __name__ == "__main__":
    sys.exit(main())
