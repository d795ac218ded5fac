"""`vstep-grading db upgrade` never half-migrates: a database holding someone else's tables
is refused up front, and a migration that fails rolls every migration of the run back."""

from __future__ import annotations

import os

import psycopg

from tests.acceptance.cli import run_cli


def public_tables(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def execute(database_url: str, sql: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.encode())


def test_a_database_holding_other_tables_is_refused_in_one_line(empty_db_url: str) -> None:
    # given a database where another application keeps its tables, never migrated by us
    execute(
        empty_db_url,
        "CREATE TABLE legacy_orders (id int); CREATE TABLE users (id int); "
        "CREATE SCHEMA crm; CREATE TABLE crm.contacts (id int)",
    )
    # when an operator runs db upgrade against it
    result = run_cli("db", "upgrade", env={**os.environ, "DATABASE_URL": empty_db_url})
    # then one line says so, naming what is there
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "public.legacy_orders" in lines[0] and "crm.contacts" in lines[0]
    assert "no alembic_version" in lines[0]
    # and nothing of ours was created
    assert public_tables(empty_db_url) == ["legacy_orders", "users"]


def test_a_migration_failing_halfway_leaves_nothing_behind(empty_db_url: str) -> None:
    # given a database whose only object collides with what migration 0003 creates,
    # after 0001 and 0002 have built the tables and triggers in the same run
    execute(
        empty_db_url,
        "CREATE FUNCTION vstep_outbox_notify() RETURNS trigger LANGUAGE plpgsql "
        "AS 'BEGIN RETURN NULL; END'",
    )
    # when db upgrade runs
    result = run_cli("db", "upgrade", env={**os.environ, "DATABASE_URL": empty_db_url})
    # then it fails in one line, not with a driver traceback
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "vstep_outbox_notify" in lines[0] and "rolled back" in lines[0]
    # and the tables 0001 created in the same transaction are gone with it
    assert public_tables(empty_db_url) == []


def test_a_database_we_migrated_upgrades_again_as_a_no_op(empty_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    again = run_cli("db", "upgrade", env=env)
    assert again.returncode == 0, again.stderr
