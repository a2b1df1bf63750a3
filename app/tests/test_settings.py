import pytest

from actors.settings import Settings, SettingsError, load_or_exit

URL = "postgres://u:secret@db.example:5432/actors"


def test_defaults_and_both_url_schemes():
    settings = Settings.from_env({"DATABASE_URL": URL})
    assert (settings.port, settings.web_concurrency, settings.sslmode) == (5000, 2, None)
    assert Settings.from_env({"DATABASE_URL": "postgresql://u@h/db"}).database_url == "postgresql://u@h/db"


def test_values_are_read():
    settings = Settings.from_env(
        {"DATABASE_URL": URL, "PORT": "8080", "WEB_CONCURRENCY": "5", "PGSSLMODE": "REQUIRE", "DB_POOL_MAX": "4"}
    )
    assert (settings.port, settings.web_concurrency, settings.sslmode, settings.db_pool_max) == (8080, 5, "require", 4)
    assert settings.conninfo_kwargs["sslmode"] == "require"


@pytest.mark.parametrize(
    "env, named",
    [
        ({}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "  "}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL must use the postgres:// or postgresql:// scheme"),
        ({"DATABASE_URL": "postgres://u:p@h:notaport/db"}, "DATABASE_URL is malformed"),
        ({"DATABASE_URL": "postgres://u:p@/db"}, "DATABASE_URL has no host"),
        ({"DATABASE_URL": "postgres://u:p@h:5432"}, "DATABASE_URL has no database name"),
        ({"DATABASE_URL": URL, "PORT": "http"}, "PORT must be a whole number from 1 to 65535"),
        ({"DATABASE_URL": URL, "PORT": "70000"}, "PORT must be a whole number from 1 to 65535"),
        ({"DATABASE_URL": URL, "WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY must be a whole number from 1 to 64"),
        ({"DATABASE_URL": URL, "PGSSLMODE": "on"}, "PGSSLMODE must be one of disable, allow, prefer, require"),
        ({"DATABASE_URL": URL, "DB_POOL_MAX": "-1"}, "DB_POOL_MAX must be a whole number from 1 to 100"),
    ],
)
def test_bad_settings_name_the_setting(env, named):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert str(raised.value).startswith(named)
    assert "secret" not in str(raised.value)


def test_load_or_exit_prints_one_line_without_the_password(capsys):
    with pytest.raises(SystemExit) as raised:
        load_or_exit({"DATABASE_URL": "mysql://u:secret@h/db"})
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("actors: configuration error: DATABASE_URL")
    assert "secret" not in err


def test_every_database_wait_is_bounded_and_connect_is_no_longer_than_readiness():
    from actors.settings import READY_TIMEOUT_SECONDS

    kwargs = Settings.from_env({"DATABASE_URL": URL}).conninfo_kwargs
    assert 0 < kwargs["connect_timeout"] <= READY_TIMEOUT_SECONDS
    assert kwargs["tcp_user_timeout"] > 0 and kwargs["keepalives"] == 1
    assert kwargs["keepalives_idle"] * 1000 < kwargs["tcp_user_timeout"]
    assert "statement_timeout=" in kwargs["options"]
    with pytest.raises(SettingsError, match="DB_CONNECT_TIMEOUT must be a whole number from 2 to 2"):
        Settings.from_env({"DATABASE_URL": URL, "DB_CONNECT_TIMEOUT": "3"})
