"""Settings from the environment, read and checked once, with one clear line per problem."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

# How long /readyz waits for the database; no connect may take longer.
READY_TIMEOUT_SECONDS = 2
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and says what is allowed."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    port: int = 5000
    sslmode: str | None = None
    web_concurrency: int = 2
    db_pool_max: int = 2
    db_connect_timeout: int = 2
    db_statement_timeout_ms: int = 5000
    db_tcp_user_timeout_ms: int = 2000
    db_wait_seconds: float = 2.0
    log_level: str = "info"

    @property
    def conninfo_kwargs(self) -> dict[str, object]:
        """Extra libpq parameters; values in DATABASE_URL's query string win over these."""
        kwargs: dict[str, object] = {
            # Every wait is bounded, also when the server vanishes without closing anything (a dead node, a
            # partition): the connect, data the server never acknowledges (tcp_user_timeout), an idle or waiting
            # connection whose peer stopped answering (keepalives, which also end at tcp_user_timeout), and the
            # statement itself on the server.
            "connect_timeout": self.db_connect_timeout,
            "tcp_user_timeout": self.db_tcp_user_timeout_ms,
            "keepalives": 1,
            "keepalives_idle": 1,
            "keepalives_interval": 1,
            "keepalives_count": 2,
            "application_name": "actors",
            # Generic plans: each statement is planned once per connection, not on every execution (with a parameter
            # in LIMIT the server kept re-planning); every query here has one good plan, an index scan.
            "options": f"-c statement_timeout={self.db_statement_timeout_ms} -c plan_cache_mode=force_generic_plan",
        }
        if self.sslmode:
            kwargs["sslmode"] = self.sslmode
        return kwargs

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        return cls(
            database_url=_database_url(env.get("DATABASE_URL")),
            port=_int(env, "PORT", 5000, 1, 65535),
            sslmode=_choice(env, "PGSSLMODE", SSL_MODES),
            web_concurrency=_int(env, "WEB_CONCURRENCY", 2, 1, 64),
            db_pool_max=_int(env, "DB_POOL_MAX", 2, 1, 100),
            # At most /readyz's own wait (READY_TIMEOUT_SECONDS); libpq's smallest connect timeout is 2 s.
            db_connect_timeout=_int(env, "DB_CONNECT_TIMEOUT", 2, 2, READY_TIMEOUT_SECONDS),
            db_tcp_user_timeout_ms=_int(env, "DB_TCP_USER_TIMEOUT_MS", 2000, 500, 60000),
            db_statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", 5000, 100, 600000),
            log_level=_choice(env, "LOG_LEVEL", ("debug", "info", "warning", "error")) or "info",
        )


def _database_url(value: str | None) -> str:
    if value is None or not value.strip():
        raise SettingsError("DATABASE_URL is not set: give a postgres:// or postgresql:// URL")
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise SettingsError("DATABASE_URL is malformed: expected postgres://user:password@host:port/dbname") from None
    if parts.scheme not in ("postgres", "postgresql"):
        shown = parts.scheme or "none"
        raise SettingsError(f"DATABASE_URL must use the postgres:// or postgresql:// scheme (got {shown!r})")
    if not parts.hostname and "host=" not in parts.query:
        raise SettingsError("DATABASE_URL has no host: expected postgres://user:password@host:port/dbname")
    if not parts.path.strip("/"):
        raise SettingsError("DATABASE_URL has no database name: expected postgres://user:password@host:port/dbname")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number from {low} to {high} (got {raw!r})") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high} (got {value})")
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)} (got {raw!r})")
    return value


def load_or_exit(environ: Mapping[str, str] | None = None) -> Settings:
    """For entry points: a bad setting ends the process with one line on stderr, not a traceback."""
    try:
        return Settings.from_env(environ)
    except SettingsError as exc:
        print(f"actors: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
