"""`vstep-grading outbox stats|purge`, and a database out of reach, as operators meet them."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from tests.acceptance.cli import run_cli
from tests.acceptance.outbox_rows import F, P, Q, Seed, U, env, one_error_line, seed

__all__ = ["env", "seed"]  # fixtures, imported for pytest to find


def test_stats_counts_ages_and_last_hour(seed: Seed, env: dict[str, str]) -> None:
    # given pending rows 10 and 1 minutes old, one processing, published and failed
    # rows inside and outside the last hour
    seed.outbox(P, created=timedelta(minutes=10))
    seed.outbox(P, created=timedelta(minutes=1))
    seed.outbox(Q, locked=timedelta(seconds=5), locked_by="relay-1")
    seed.outbox(U, created=timedelta(minutes=31), published=timedelta(minutes=30))
    seed.outbox(U, created=timedelta(hours=3), published=timedelta(hours=2))
    seed.outbox(F, created=timedelta(hours=2), locked=timedelta(minutes=10), error="e")
    seed.outbox(F, created=timedelta(minutes=20), error="never claimed")
    seed.outbox(F, created=timedelta(hours=5), locked=timedelta(hours=3), error="e")

    # when asked for stats as JSON
    found = run_cli("outbox", "stats", "--json", env=env)

    # then counts, the oldest pending age and the last hour's outcomes are right
    assert found.returncode == 0, found.stderr
    stats = json.loads(found.stdout)
    assert stats["counts"] == {"pending": 2, "processing": 1, "published": 2, "failed": 3}
    assert 598 <= stats["oldest_pending_age_seconds"] <= 660
    assert stats["failed_last_hour"] == 2
    assert stats["published_last_hour"] == 1

    # when asked in a terminal / then the same numbers in tables
    table = run_cli("outbox", "stats", env=env)
    assert table.returncode == 0, table.stderr
    for text in ("pending", "failed in the last hour", "oldest pending row age", "10m"):
        assert text in table.stdout


def test_stats_of_an_empty_outbox_has_zeros_and_no_age(env: dict[str, str]) -> None:
    empty = run_cli("outbox", "stats", "--json", env=env)
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout) == {
        "counts": {"pending": 0, "processing": 0, "published": 0, "failed": 0},
        "oldest_pending_age_seconds": None,
        "failed_last_hour": 0,
        "published_last_hour": 0,
    }


def test_purge_deletes_only_old_published_rows(seed: Seed, env: dict[str, str]) -> None:
    # given old and recent published rows, and old rows in every other status
    old_published = seed.outbox(U, created=timedelta(days=10), published=timedelta(days=9))
    recent_published = seed.outbox(U, created=timedelta(days=3), published=timedelta(days=2))
    kept = [
        seed.outbox(status, created=timedelta(days=30), error="e" if status == F else None)
        for status in (P, Q, F)
    ]

    # when purged with a week's retention
    purged = run_cli("outbox", "purge", "--older-than", "7d", "--json", env=env)

    # then only the old published row is gone
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout) == {"deleted": 1}
    assert seed.row(old_published) is None
    assert all(seed.row(row_id) is not None for row_id in (recent_published, *kept))

    # when --older-than is missing / then a usage error in one line
    missing = run_cli("outbox", "purge", env=env)
    assert missing.returncode == 2
    assert "--older-than" in one_error_line(missing.stderr)


def test_unreachable_database_is_one_line_without_the_password() -> None:
    url = "postgresql://grader:s3cret@127.0.0.1:1/vstep"
    result = run_cli("outbox", "stats", env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "127.0.0.1:1" in line
    assert "s3cret" not in result.stderr + result.stdout
