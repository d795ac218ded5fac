"""`vstep-grading outbox ...` as operators run it, against a real database."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.models import OutboxRow, Question, Submission, SubmissionEvent, User
from db.session import transaction
from db.submissions import submission_event_append
from domain.enums import OutboxStatus, QuestionFormat, QuestionLevel, Skill
from domain.events import EventKind
from tests.acceptance.cli import run_cli

REQUEST = "grading.request"
CALLBACK = "grading.callback"
P, Q, U, F = (
    OutboxStatus.PENDING,
    OutboxStatus.PROCESSING,
    OutboxStatus.PUBLISHED,
    OutboxStatus.FAILED,
)


def _ago(delta: timedelta) -> sa.ColumnElement[Any]:
    return sa.func.now() - delta


class Seed:
    """Rows written straight into this test's database: one submission and its outbox."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        with transaction(factory) as session:
            user = session.execute(
                sa.insert(User)
                .values(email=f"{uuid.uuid4().hex}@example.test", password_hash="x")
                .returning(User.id)
            ).scalar_one()
            question = session.execute(
                sa.insert(Question)
                .values(
                    skill=Skill.WRITING,
                    level=QuestionLevel.B1,
                    format=QuestionFormat.WRITING_TASK_1,
                    content={"prompt": "Write a letter."},
                )
                .returning(Question.id)
            ).scalar_one()
            self.submission_id: uuid.UUID = session.execute(
                sa.insert(Submission)
                .values(user_id=user, question_id=question, skill=Skill.WRITING)
                .returning(Submission.id)
            ).scalar_one()

    def outbox(
        self,
        status: OutboxStatus,
        *,
        message_type: str = REQUEST,
        created: timedelta = timedelta(0),
        attempts: int = 0,
        error: str | None = None,
        locked: timedelta | None = None,
        locked_by: str | None = None,
        published: timedelta | None = None,
    ) -> uuid.UUID:
        """One outbox row; the timedeltas say how long ago each timestamp was."""
        with transaction(self.factory) as session:
            return session.execute(
                sa.insert(OutboxRow)
                .values(
                    submission_id=self.submission_id,
                    message_type=message_type,
                    payload={"submissionId": str(self.submission_id), "skill": "writing"},
                    status=status,
                    attempts=attempts,
                    error_message=error,
                    created_at=_ago(created),
                    locked_at=None if locked is None else _ago(locked),
                    locked_by=locked_by,
                    published_at=None if published is None else _ago(published),
                )
                .returning(OutboxRow.id)
            ).scalar_one()

    def event(self, kind: str, data: dict[str, Any]) -> None:
        with transaction(self.factory) as session:
            submission_event_append(
                session, submission_id=self.submission_id, kind=EventKind(kind), data=data
            )

    def row(self, id: uuid.UUID) -> OutboxRow | None:
        with self.factory() as session:
            return session.get(OutboxRow, id)

    def events(self, kind: str) -> list[dict[str, Any] | None]:
        with self.factory() as session:
            return list(
                session.execute(
                    sa.select(SubmissionEvent.data)
                    .where(SubmissionEvent.kind == kind)
                    .order_by(SubmissionEvent.occurred_at)
                ).scalars()
            )


@pytest.fixture
def seed(session_factory: sessionmaker[Session]) -> Seed:
    return Seed(session_factory)


@pytest.fixture
def env(child_env: dict[str, str]) -> dict[str, str]:
    # Wide enough that Rich never folds a UUID in a table cell.
    return {**child_env, "COLUMNS": "300"}


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_list_filters_newest_first_with_table_and_json(seed: Seed, env: dict[str, str]) -> None:
    # given rows of every status and two message types, created at different times
    long_error = "broker down: " + "x" * 200
    pending = seed.outbox(P, created=timedelta(minutes=40))
    failed = seed.outbox(F, created=timedelta(minutes=30), attempts=10, error=long_error)
    processing = seed.outbox(Q, created=timedelta(minutes=20), locked_by="relay-7")
    published = seed.outbox(
        U, message_type=CALLBACK, created=timedelta(minutes=10), published=timedelta(minutes=9)
    )

    # when listed as a table / then every row shows, error truncated
    table = run_cli("outbox", "list", env=env)
    assert table.returncode == 0, table.stderr
    for row_id in (pending, failed, processing, published):
        assert str(row_id) in table.stdout
    assert "relay-7" in table.stdout
    assert "broker down: xxx" in table.stdout
    assert long_error not in table.stdout

    # when listed as JSON with a limit / then the newest rows come first, error whole
    newest = run_cli("outbox", "list", "--limit", "2", "--json", env=env)
    assert newest.returncode == 0, newest.stderr
    assert [r["id"] for r in json.loads(newest.stdout)] == [str(published), str(processing)]

    # when filtered by status / then only that status, with every column
    only_failed = run_cli("outbox", "list", "--status", "failed", "--json", env=env)
    (row,) = json.loads(only_failed.stdout)
    assert row["id"] == str(failed)
    assert row["error_message"] == long_error
    assert row["attempts"] == 10
    assert row["submission_id"] == str(seed.submission_id)
    assert set(row) == {
        "id",
        "status",
        "message_type",
        "submission_id",
        "attempts",
        "created_at",
        "locked_by",
        "published_at",
        "error_message",
    }

    # when filtered by message type / then only that type
    callbacks = run_cli("outbox", "list", "--message-type", CALLBACK, "--json", env=env)
    assert [r["id"] for r in json.loads(callbacks.stdout)] == [str(published)]

    # when the status is not an outbox status / then one line and exit code 2
    bad = run_cli("outbox", "list", "--status", "lost", env=env)
    assert bad.returncode == 2
    line = _one_error_line(bad.stderr)
    assert "'lost'" in line and "pending, processing, published, failed" in line


def test_show_prints_the_row_payload_and_events(seed: Seed, env: dict[str, str]) -> None:
    # given a failed row whose submission has events
    row_id = seed.outbox(F, attempts=3, error="no route for grading.request", locked_by=None)
    seed.event("submitted", {"skill": "writing"})
    seed.event("failed", {"failureReason": "POISON", "outboxId": str(row_id)})

    # when shown in a terminal / then the columns, the payload and the events are there
    shown = run_cli("outbox", "show", str(row_id), env=env)
    assert shown.returncode == 0, shown.stderr
    for text in ("no route for grading.request", "submissionId", "submitted", "POISON"):
        assert text in shown.stdout
    assert shown.stdout.index("submitted") < shown.stdout.index("POISON")

    # when shown as JSON / then every column, the payload, and events oldest first
    as_json = run_cli("outbox", "show", str(row_id), "--json", env=env)
    shown_json = json.loads(as_json.stdout)
    assert shown_json["row"]["status"] == "failed"
    assert shown_json["row"]["attempts"] == 3
    assert shown_json["row"]["payload"] == {
        "submissionId": str(seed.submission_id),
        "skill": "writing",
    }
    assert {"aggregate_type", "aggregate_id", "locked_at"} <= set(shown_json["row"])
    assert [e["kind"] for e in shown_json["events"]] == ["submitted", "failed"]
    assert shown_json["events"][1]["data"]["failureReason"] == "POISON"

    # when the id is unknown or not a UUID / then one line and exit code 2
    unknown = run_cli("outbox", "show", str(uuid.uuid4()), env=env)
    assert unknown.returncode == 2
    assert "no outbox row" in _one_error_line(unknown.stderr)
    malformed = run_cli("outbox", "show", "0b3-not-an-id", env=env)
    assert malformed.returncode == 2
    assert "'0b3-not-an-id'" in _one_error_line(malformed.stderr)


def test_retry_moves_failed_rows_and_reports_the_others(seed: Seed, env: dict[str, str]) -> None:
    # given a failed row that a relay gave up on, another failed row, and a published one
    failed = seed.outbox(
        F, attempts=10, error="broker down", locked=timedelta(minutes=5), locked_by="relay-1"
    )
    other_failed = seed.outbox(F, attempts=2, error="no route")
    published = seed.outbox(U, attempts=1, published=timedelta(minutes=1))

    # when the failed row is retried
    retried = run_cli("outbox", "retry", str(failed), env=env)

    # then it is pending again, reset, with an outbox_retried event
    assert retried.returncode == 0, retried.stderr
    assert "retried 1 outbox row" in retried.stdout
    row = seed.row(failed)
    assert row is not None
    assert (row.status, row.attempts, row.error_message) == (P, 0, None)
    assert (row.locked_at, row.locked_by) == (None, None)
    assert seed.events("outbox_retried") == [
        {
            "outboxId": str(failed),
            "previousError": "broker down",
            "previousAttempts": 10,
            "by": "operator",
        }
    ]

    # when a failed, a published and an unknown row are retried together
    unknown = uuid.uuid4()
    mixed = run_cli(
        "outbox", "retry", str(other_failed), str(published), str(unknown), "--json", env=env
    )

    # then the failed one moves, the others are reported, and the exit code says so
    assert mixed.returncode == 1
    assert json.loads(mixed.stdout) == {
        "retried": [str(other_failed)],
        "skipped": [
            {"id": str(published), "reason": "status is published"},
            {"id": str(unknown), "reason": "no such outbox row"},
        ],
    }
    assert "2 of 3" in _one_error_line(mixed.stderr)
    published_row = seed.row(published)
    assert published_row is not None and published_row.status == U
    assert len(seed.events("outbox_retried")) == 2

    # when an id is malformed / then nothing is retried and the exit code is 2
    malformed = run_cli("outbox", "retry", str(failed), "nope", env=env)
    assert malformed.returncode == 2
    assert "'nope'" in _one_error_line(malformed.stderr)


def test_retry_all_failed_honours_the_filters(seed: Seed, env: dict[str, str]) -> None:
    # given failed rows of two types and ages, and a pending row
    old_request = seed.outbox(F, created=timedelta(hours=2), attempts=10, error="e1")
    new_request = seed.outbox(F, created=timedelta(minutes=5), attempts=10, error="e2")
    old_callback = seed.outbox(
        F, message_type=CALLBACK, created=timedelta(hours=3), attempts=1, error="e3"
    )
    pending = seed.outbox(P, created=timedelta(hours=4))

    # when retrying the failed grading requests older than an hour
    narrow = run_cli(
        "outbox",
        "retry",
        "--all-failed",
        "--message-type",
        REQUEST,
        "--older-than",
        "1h",
        "--json",
        env=env,
    )

    # then only the old request moved
    assert narrow.returncode == 0, narrow.stderr
    assert json.loads(narrow.stdout) == {"retried": [str(old_request)], "skipped": []}
    statuses = {i: getattr(seed.row(i), "status", None) for i in (new_request, old_callback)}
    assert statuses == {new_request: F, old_callback: F}

    # when every failed row is retried / then the rest move, oldest first, and pending is left
    everything = run_cli("outbox", "retry", "--all-failed", env=env)
    assert everything.returncode == 0, everything.stderr
    assert "retried 2 outbox rows" in everything.stdout
    retried_ids = [data["outboxId"] for data in seed.events("outbox_retried") if data]
    assert sorted(retried_ids) == sorted(map(str, (old_request, new_request, old_callback)))
    pending_row = seed.row(pending)
    assert pending_row is not None and pending_row.status == P


def test_retry_usage_errors_exit_2_in_one_line(seed: Seed, env: dict[str, str]) -> None:
    row_id = seed.outbox(F, error="e")
    # given ids and --all-failed together / then a usage error, nothing moved
    both = run_cli("outbox", "retry", str(row_id), "--all-failed", env=env)
    assert both.returncode == 2
    assert "not both" in _one_error_line(both.stderr)
    # given neither
    neither = run_cli("outbox", "retry", env=env)
    assert neither.returncode == 2
    assert "--all-failed" in _one_error_line(neither.stderr)
    # given a duration that is not one / then the message names the value
    bad_age = run_cli("outbox", "retry", "--all-failed", "--older-than", "soon", env=env)
    assert bad_age.returncode == 2
    assert "'soon'" in _one_error_line(bad_age.stderr)
    row = seed.row(row_id)
    assert row is not None and row.status == F


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
    assert "--older-than" in _one_error_line(missing.stderr)


def test_unreachable_database_is_one_line_without_the_password() -> None:
    url = "postgresql://grader:s3cret@127.0.0.1:1/vstep"
    result = run_cli("outbox", "stats", env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert "127.0.0.1:1" in line
    assert "s3cret" not in result.stderr + result.stdout
