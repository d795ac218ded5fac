"""`vstep-grading db downgrade` asks first: on a terminal it prompts, elsewhere it needs --yes,
and below the shared schema it says that every shared table goes."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import psycopg

from tests.acceptance.cli import VSTEP

HEAD = "0008_retry_budget"
# The shared schema's 16 tables and the console's own audit table (migration 0006);
# migration 0007 adds functions only.
TABLES_AT_HEAD = 17


def run_without_terminal(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VSTEP, "db", "downgrade", *args],
        env={**os.environ, "DATABASE_URL": database_url},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def revision_and_tables(database_url: str) -> tuple[str | None, int]:
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        ).fetchone()
        has_version = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
        version = None
        if has_version and has_version[0]:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            version = row[0] if row else None
    return version, int(tables[0]) if tables else 0


def test_downgrade_to_base_without_a_terminal_needs_yes_and_names_the_shared_tables(
    db_url: str,
) -> None:
    # given a migrated database and no terminal on stdin
    # when an operator's script downgrades to base without --yes
    result = run_without_terminal("base", database_url=db_url)
    # then it is a usage error of one line saying to pass --yes and what would be lost
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pass --yes" in lines[0]
    assert "DROPS EVERY SHARED TABLE" in lines[0]
    assert "other services' data" in lines[0]
    # and nothing was dropped
    assert revision_and_tables(db_url) == (HEAD, TABLES_AT_HEAD)


def test_one_step_down_without_a_terminal_needs_yes_and_does_not_cry_wolf(db_url: str) -> None:
    result = run_without_terminal("-1", database_url=db_url)
    assert result.returncode == 2, result.stderr
    assert "pass --yes" in result.stderr
    assert "SHARED TABLE" not in result.stderr
    assert revision_and_tables(db_url) == (HEAD, TABLES_AT_HEAD)


def intake_functions(database_url: str) -> int:
    """The functions migrations 0007 and 0008 create (grading_*), as the catalog has them."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname LIKE 'grading\\_%'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_downgrade_with_yes_runs_without_asking(db_url: str) -> None:
    assert intake_functions(db_url) == 12
    # one step down drops the retry budget's counter of 0008 and nothing else
    one_step = run_without_terminal("-1", "--yes", database_url=db_url)
    assert one_step.returncode == 0, one_step.stderr
    assert revision_and_tables(db_url) == ("0007_intake_functions", TABLES_AT_HEAD)
    assert intake_functions(db_url) == 11
    # the next drops the intake functions of 0007 and nothing else
    intake_step = run_without_terminal("-1", "--yes", database_url=db_url)
    assert intake_step.returncode == 0, intake_step.stderr
    assert revision_and_tables(db_url) == ("0006_console", TABLES_AT_HEAD)
    assert intake_functions(db_url) == 0
    two_steps = run_without_terminal("-1", "--yes", database_url=db_url)
    assert two_steps.returncode == 0, two_steps.stderr
    assert revision_and_tables(db_url) == ("0005_outbox_notify_when_idle", 16)
    to_base = run_without_terminal("base", "--yes", database_url=db_url)
    assert to_base.returncode == 0, to_base.stderr
    assert revision_and_tables(db_url) == (None, 0)


def test_on_a_terminal_it_asks_and_no_changes_nothing(db_url: str) -> None:
    # given an operator at a terminal
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [VSTEP, "db", "downgrade", "base"],
        env={**os.environ, "DATABASE_URL": db_url, "COLUMNS": "1000"},
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    try:
        # when the prompt appears, it says every shared table goes
        shown = read_until(primary, b"Continue? [y/N]:", timeout=60)
        assert b"DROPS EVERY SHARED TABLE" in shown
        # and the operator answers no
        os.write(primary, b"n\n")
        shown += read_until(primary, b"nothing changed", timeout=30)
        assert process.wait(timeout=30) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(primary)
    # then nothing was dropped
    assert revision_and_tables(db_url) == (HEAD, TABLES_AT_HEAD)


def read_until(fd: int, wanted: bytes, *, timeout: float) -> bytes:
    """What the terminal showed, up to and including ``wanted``; fails at the deadline."""
    deadline = time.monotonic() + timeout
    seen = b""
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted!r} not shown within {timeout} s; shown: {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"terminal closed before {wanted!r}; shown: {seen!r}"
            seen += chunk
    return seen
