"""`vstep-grading outbox ...` as operators run it, against a real database."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from tests.acceptance.cli import run_cli
from tests.acceptance.outbox_rows import (
    CALLBACK,
    REQUEST,
    F,
    P,
    Q,
    Seed,
    U,
    env,
    one_error_line,
    seed,
)

__all__ = ["env", "seed"]  # fixtures, imported for pytest to find


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
    line = one_error_line(bad.stderr)
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
    assert "no outbox row" in one_error_line(unknown.stderr)
    malformed = run_cli("outbox", "show", "0b3-not-an-id", env=env)
    assert malformed.returncode == 2
    assert "'0b3-not-an-id'" in one_error_line(malformed.stderr)


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
    assert "2 of 3" in one_error_line(mixed.stderr)
    published_row = seed.row(published)
    assert published_row is not None and published_row.status == U
    assert len(seed.events("outbox_retried")) == 2

    # when an id is malformed / then nothing is retried and the exit code is 2
    malformed = run_cli("outbox", "retry", str(failed), "nope", env=env)
    assert malformed.returncode == 2
    assert "'nope'" in one_error_line(malformed.stderr)


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
    assert "not both" in one_error_line(both.stderr)
    # given neither
    neither = run_cli("outbox", "retry", env=env)
    assert neither.returncode == 2
    assert "--all-failed" in one_error_line(neither.stderr)
    # given a duration that is not one / then the message names the value
    bad_age = run_cli("outbox", "retry", "--all-failed", "--older-than", "soon", env=env)
    assert bad_age.returncode == 2
    assert "'soon'" in one_error_line(bad_age.stderr)
    row = seed.row(row_id)
    assert row is not None and row.status == F
