"""`vstep-grading submission list|show` as operators run it, against a real database."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.acceptance.cli import run_cli
from tests.integration.outbox_seed import seed_pending

RESULT = {"score": 7.5, "band": "B2", "criteria": {"taskAchievement": 7.0, "grammar": 8.0}}

# The graded submission's timeline: kind, seconds after the submission, data.
COMPLETED_TIMELINE: list[tuple[str, float, dict[str, Any] | None]] = [
    ("submitted", 0.0, None),
    ("queued", 0.012, {"relayId": "relay-1"}),
    ("processing", 1.5, {"workerId": "worker-7", "attempt": 1}),
    ("graded", 185.5, {"score": 7.5, "confidence": 91}),
    ("completed", 185.512, {"band": "B2"}),
]
# The failed one's: retried once, then given up.
FAILED_TIMELINE: list[tuple[str, float, dict[str, Any] | None]] = [
    ("submitted", 0.0, None),
    ("queued", 0.2, {"relayId": "relay-1"}),
    ("processing", 0.4, {"attempt": 1}),
    ("error", 30.4, {"error": "grader timeout [504]", "attempt": 1}),
    ("retrying", 30.5, {"attempt": 2}),
    ("processing", 95.5, {"attempt": 2}),
    ("failed", 125.5, {"error": "grader timeout [504]", "attempt": 2}),
]


@dataclass(frozen=True)
class Seeded:
    user_a: uuid.UUID
    user_b: uuid.UUID
    completed: uuid.UUID  # user a, 10 minutes ago
    failed: uuid.UUID  # user a, 5 minutes ago
    deleted: uuid.UUID  # user a, 2 minutes ago, pending, soft-deleted
    pending: uuid.UUID  # user b, now


def _submission_ids(engine: Engine, outbox_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT submission_id FROM outbox WHERE id = ANY(:ids) ORDER BY created_at"),
            {"ids": outbox_ids},
        )
        return [row.submission_id for row in rows]


def _replace_timeline(
    conn: sa.Connection,
    submission_id: uuid.UUID,
    timeline: list[tuple[str, float, dict[str, Any] | None]],
) -> None:
    conn.execute(
        sa.text("DELETE FROM submission_events WHERE submission_id = :id"), {"id": submission_id}
    )
    for kind, seconds, data in timeline:
        conn.execute(
            sa.text(
                "INSERT INTO submission_events (submission_id, kind, occurred_at, data) "
                "SELECT id, :kind, created_at + make_interval(secs => :secs), "
                "CAST(:data AS jsonb) FROM submissions WHERE id = :id"
            ),
            {
                "id": submission_id,
                "kind": kind,
                "secs": seconds,
                "data": None if data is None else json.dumps(data),
            },
        )


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    """Given four submissions of two users, one graded, one failed, one soft-deleted."""
    completed, failed, deleted = _submission_ids(engine, seed_pending(engine, 3))
    (pending,) = _submission_ids(engine, seed_pending(engine, 1))
    ages = {completed: "10 minutes", failed: "5 minutes", deleted: "2 minutes", pending: "0"}
    with engine.begin() as conn:
        for submission_id, age in ages.items():
            conn.execute(
                sa.text(
                    "UPDATE submissions SET created_at = now() - CAST(:age AS interval) "
                    "WHERE id = :id"
                ),
                {"id": submission_id, "age": age},
            )
        conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'completed', score = 7.5, band = 'B2', "
                "confidence = 91, grading_mode = 'auto', "
                "completed_at = created_at + interval '185.512 seconds' WHERE id = :id"
            ),
            {"id": completed},
        )
        conn.execute(
            sa.text(
                "UPDATE submission_details SET result = CAST(:result AS jsonb) "
                "WHERE submission_id = :id"
            ),
            {"id": completed, "result": json.dumps(RESULT)},
        )
        conn.execute(
            sa.text("UPDATE submissions SET status = 'failed', attempt = 2 WHERE id = :id"),
            {"id": failed},
        )
        conn.execute(
            sa.text("UPDATE submissions SET deleted_at = now() WHERE id = :id"), {"id": deleted}
        )
        _replace_timeline(conn, completed, COMPLETED_TIMELINE)
        _replace_timeline(conn, failed, FAILED_TIMELINE)
        user_a, user_b = (
            conn.execute(
                sa.text("SELECT user_id FROM submissions WHERE id = :id"), {"id": sid}
            ).scalar_one()
            for sid in (completed, pending)
        )
    return Seeded(user_a, user_b, completed, failed, deleted, pending)


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_show_prints_the_submission_its_result_and_timeline(
    seeded: Seeded, child_env: dict[str, str]
) -> None:
    # when an operator shows the graded submission
    result = run_cli("submission", "show", str(seeded.completed), env=child_env)
    # then every field, the result, and each step with its durations are printed
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in (str(seeded.completed), str(seeded.user_a), "completed", "7.5", "B2", "auto"):
        assert text in out
    assert '"taskAchievement": 7.0' in out  # the result, pretty-printed
    timeline = out[out.index("timeline") :]
    positions = [timeline.index(f" {kind} ") for kind, _, _ in COMPLETED_TIMELINE]
    assert positions == sorted(positions)
    # since previous: +0.012s, +1.488s, +3m04s, +0.012s; since submitted: ..., +3m05s
    for duration in ("+0.000s", "+0.012s", "+1.488s", "+3m04s", "+1.500s", "+3m05s"):
        assert duration in timeline
    assert '{"attempt":1,"workerId":"worker-7"}' in timeline  # one line (jsonb key order)


def test_show_json_gives_the_events_in_order_with_their_data(
    seeded: Seeded, child_env: dict[str, str]
) -> None:
    # when a script shows the failed submission as JSON
    shown = _json(run_cli("submission", "show", str(seeded.failed), "--json", env=child_env))
    # then it has the submission, no result, and the timeline oldest first
    assert shown["submission"]["id"] == str(seeded.failed)
    assert shown["submission"]["status"] == "failed"
    assert shown["submission"]["attempt"] == 2
    assert shown["result"] is None
    events = shown["events"]
    assert [e["kind"] for e in events] == [kind for kind, _, _ in FAILED_TIMELINE]
    assert [e["data"] for e in events] == [data for _, _, data in FAILED_TIMELINE]
    assert [e["since_submitted_seconds"] for e in events] == pytest.approx(
        [seconds for _, seconds, _ in FAILED_TIMELINE]
    )
    assert events[0]["since_previous_seconds"] is None
    assert events[3]["since_previous_seconds"] == pytest.approx(30.0)


def test_list_filters_and_orders_newest_first(seeded: Seeded, child_env: dict[str, str]) -> None:
    # when listing everything: the live ones, newest first
    listed = _json(run_cli("submission", "list", "--json", env=child_env))
    assert [row["id"] for row in listed] == [
        str(seeded.pending),
        str(seeded.failed),
        str(seeded.completed),
    ]
    graded = next(row for row in listed if row["id"] == str(seeded.completed))
    assert (graded["status"], graded["score"], graded["band"]) == ("completed", 7.5, "B2")

    # when filtering by status, as a table
    table = run_cli("submission", "list", "--status", "completed", env=child_env)
    assert table.returncode == 0, table.stderr
    assert str(seeded.completed) in table.stdout
    assert str(seeded.failed) not in table.stdout
    assert str(seeded.pending) not in table.stdout

    # when filtering by user
    by_user = _json(
        run_cli("submission", "list", "--user", str(seeded.user_b), "--json", env=child_env)
    )
    assert [row["id"] for row in by_user] == [str(seeded.pending)]

    # when including soft-deleted ones, one skill, at most two
    limited = _json(
        run_cli(
            "submission",
            "list",
            "--include-deleted",
            "--skill",
            "reading",
            "--limit",
            "2",
            "--json",
            env=child_env,
        )
    )
    assert [row["id"] for row in limited] == [str(seeded.pending), str(seeded.deleted)]
    assert limited[0]["deleted_at"] is None
    assert limited[1]["deleted_at"] is not None


def test_usage_errors_are_one_line_and_exit_2(seeded: Seeded, child_env: dict[str, str]) -> None:
    # a status that is not in the enum
    _one_line_error(
        run_cli("submission", "list", "--status", "done", env=child_env), "--status", "'done'"
    )
    # a user id that is not a UUID
    _one_line_error(run_cli("submission", "list", "--user", "bob", env=child_env), "--user")
    # an id no submission has
    missing = uuid.uuid4()
    _one_line_error(run_cli("submission", "show", str(missing), env=child_env), str(missing))
    # an id that is not a UUID
    _one_line_error(run_cli("submission", "show", "12345", env=child_env), "'12345'")
