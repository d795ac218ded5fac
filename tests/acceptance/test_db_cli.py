"""`vstep-grading db ...` as operators run it."""

from __future__ import annotations

import os

import psycopg

from tests.acceptance.cli import run_cli


def test_upgrade_builds_the_schema_and_current_reports_it(empty_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url}
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "is at 0" in upgraded.stdout
    current = run_cli("db", "current", env=env)
    assert current.stdout.strip() == upgraded.stdout.strip().rsplit(" ", 1)[-1]
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


def test_psycopg_scheme_is_accepted(empty_db_url: str) -> None:
    url = empty_db_url.replace("postgresql://", "postgresql+psycopg://", 1)
    result = run_cli("db", "upgrade", env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr


def test_unreachable_database_is_one_line_with_the_password_hidden() -> None:
    url = "postgresql://grader:s3cret@127.0.0.1:1/vstep"
    result = run_cli("db", "upgrade", env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "postgresql://grader:***@127.0.0.1:1/vstep" in lines[0]
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_invalid_url_names_the_variable() -> None:
    result = run_cli("db", "upgrade", env={**os.environ, "DATABASE_URL": "mysql://u:pw@h/db"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "pw" not in result.stderr.replace("password", "")


def test_bad_setting_fails_at_start_naming_the_variable() -> None:
    from workers.settings import ConfigError, load_settings

    os.environ["OUTBOX_LEASE_SECONDS"] = "soon"
    try:
        load_settings()
    except ConfigError as exc:
        assert "OUTBOX_LEASE_SECONDS" in str(exc)
    else:
        raise AssertionError("a bad OUTBOX_LEASE_SECONDS was accepted")
    finally:
        del os.environ["OUTBOX_LEASE_SECONDS"]
