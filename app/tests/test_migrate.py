import os
import subprocess
import threading

import psycopg
import pytest

from actors.migrate import MigrationError, discover, migrate


def count(url, sql="SELECT count(*) FROM actors"):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_fresh_database_gets_schema_and_seed(make_database):
    url = make_database(migrated=False)
    applied = migrate(url)
    assert [(m.version, m.name) for m in applied] == [(1, "create_actors"), (2, "seed_actors")]
    assert count(url) == 400
    assert count(url, "SELECT count(DISTINCT name) FROM actors") == 400
    assert count(url, "SELECT count(*) FROM schema_migrations") == 2


def test_running_twice_changes_nothing(make_database):
    url = make_database()
    assert migrate(url) == []
    assert count(url) == 400


def test_seed_itself_adds_no_duplicates_when_run_again(make_database):
    url = make_database()
    seed = next(m for m in discover() if m.name == "seed_actors")
    with psycopg.connect(url) as conn:
        conn.execute(seed.sql)
    assert count(url) == 400


def test_concurrent_runs_apply_each_migration_once(make_database):
    url = make_database(migrated=False)
    results, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            results.append(migrate(url))
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    assert count(url) == 400


def test_changed_migration_is_refused(make_database, tmp_path):
    url = make_database(migrated=False)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE one (id int);")
    migrate(url, tmp_path)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE one (id bigint);")
    with pytest.raises(MigrationError, match="0001_first was changed after it was applied"):
        migrate(url, tmp_path)


def test_failed_migration_rolls_back_and_is_not_recorded(make_database, tmp_path):
    url = make_database(migrated=False)
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(psycopg.errors.UndefinedFunction):
        migrate(url, tmp_path)
    assert count(url, "SELECT count(*) FROM schema_migrations") == 1
    assert count(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'") == 0


def test_bad_file_names_are_refused(tmp_path):
    (tmp_path / "1_x.sql").write_text("")
    with pytest.raises(MigrationError, match="NNNN_snake_case.sql"):
        discover(tmp_path)


def run_cli(env):
    return subprocess.run(
        ["/app/bin/migrate", "--wait", "1"], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_command_applies_and_reports_json(make_database):
    url = make_database(migrated=False)
    result = run_cli({"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert '"migrations up to date"' in result.stdout and "0002_seed_actors" in result.stdout


def test_command_fails_clearly(make_database):
    missing = run_cli({"DATABASE_URL": ""})
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == "actors: configuration error: DATABASE_URL is not set: give a postgres:// or postgresql:// URL"
    )
    unreachable = run_cli({"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db"})
    assert unreachable.returncode == 1 and "database unreachable; giving up" in unreachable.stdout
    assert "hunter2" not in unreachable.stdout + unreachable.stderr
