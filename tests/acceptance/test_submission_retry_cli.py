"""`vstep-grading submission retry` and `submission list --stuck`, run as an operator would."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.acceptance.cli import run_cli
from tests.integration.outbox_seed import event_counts, outbox_status_counts, seed_pending
from tests.integration.pipeline_checks import last_event_data, scalar, statuses


def submission_of(engine: Engine, outbox_id: uuid.UUID) -> uuid.UUID:
    value = scalar(engine, "SELECT submission_id FROM outbox WHERE id = :id", id=outbox_id)
    assert isinstance(value, uuid.UUID)
    return value


def fail_with(engine: Engine, submission_id: uuid.UUID, reason: str) -> None:
    """A submission that went through the pipeline and failed (its request published)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'failed', deadline = now() - interval '1 min' "
                "WHERE id = :id"
            ),
            {"id": submission_id},
        )
        conn.execute(
            sa.text(
                "UPDATE outbox SET status = 'published', published_at = now() "
                "WHERE submission_id = :id"
            ),
            {"id": submission_id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO submission_events (submission_id, kind, data) VALUES "
                "(:id, 'failed', jsonb_build_object('failureReason', CAST(:reason AS text)))"
            ),
            {"id": submission_id, "reason": reason},
        )


def test_retry_reopens_a_failed_submission_with_a_new_request_and_says_who_and_why(
    engine: Engine, child_env: dict[str, str]
) -> None:
    (outbox_id,) = seed_pending(engine, 1)
    sid = submission_of(engine, outbox_id)
    fail_with(engine, sid, "TIMEOUT")
    # when the operator retries it
    done = run_cli(
        "submission",
        "retry",
        str(sid),
        "--by",
        "ops-lan",
        "--note",
        "grader was down",
        env=child_env,
    )
    # then it is pending again, with a fresh deadline and a new outbox row for its request
    assert done.returncode == 0, done.stderr
    assert f"{sid}: retried (was failed)" in done.stdout
    assert statuses(engine) == {"pending": 1}
    assert scalar(engine, "SELECT deadline > now() FROM submissions")
    assert outbox_status_counts(engine) == {"published": 1, "pending": 1}
    new_payload = scalar(engine, "SELECT payload FROM outbox WHERE status = 'pending'")
    assert new_payload["requestId"] == str(scalar(engine, "SELECT request_id FROM submissions"))
    event = last_event_data(engine, sid, "operator_retried")
    assert (event["by"], event["note"], event["previousFailureReason"]) == (
        "ops-lan",
        "grader was down",
        "TIMEOUT",
    )
    assert event["outboxId"] == str(
        scalar(engine, "SELECT id FROM outbox WHERE status = 'pending'")
    )


def test_dry_run_prints_what_would_happen_and_changes_nothing(
    engine: Engine, child_env: dict[str, str]
) -> None:
    ids = [submission_of(engine, o) for o in seed_pending(engine, 3)]
    fail_with(engine, ids[0], "TIMEOUT")
    fail_with(engine, ids[1], "BAD_INPUT")
    done = run_cli(
        "submission",
        "retry",
        "--status",
        "failed",
        "--reason",
        "TIMEOUT",
        "--dry-run",
        "--json",
        env=child_env,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dryRun"] is True
    assert [item["id"] for item in report["retried"]] == [str(ids[0])]
    assert statuses(engine) == {"failed": 2, "pending": 1}
    assert event_counts(engine, "operator_retried") == {}
    assert outbox_status_counts(engine) == {"published": 2, "pending": 1}


def test_retry_refuses_what_is_neither_failed_nor_stalled_and_exits_1(
    engine: Engine, child_env: dict[str, str]
) -> None:
    (outbox_id,) = seed_pending(engine, 1)
    sid = submission_of(engine, outbox_id)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE submissions SET status = 'completed'"))
    missing = uuid.uuid4()
    done = run_cli("submission", "retry", str(sid), str(missing), env=child_env)
    assert done.returncode == 1
    assert f"{sid}: not retried, status is completed" in done.stdout
    assert f"{missing}: not retried, no such submission" in done.stdout
    assert "2 of 2 named submissions not retried" in done.stderr
    assert event_counts(engine, "operator_retried") == {}
    # and bad arguments are usage errors naming the option
    assert run_cli("submission", "retry", "nope", env=child_env).returncode == 2
    bad = run_cli("submission", "retry", "--status", "lost", env=child_env)
    assert bad.returncode == 2 and "--status" in bad.stderr


def test_list_stuck_shows_what_the_stall_duty_would_pick_up_and_why(
    engine: Engine, child_env: dict[str, str], redis_namespace: str
) -> None:
    quiet, busy = (submission_of(engine, o) for o in seed_pending(engine, 2))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE submissions SET status = 'queued'"))
        conn.execute(sa.text("UPDATE outbox SET status = 'published', published_at = now()"))
        conn.execute(
            sa.text(
                "UPDATE submission_events SET occurred_at = now() - interval '10 minutes' "
                "WHERE submission_id = :id"
            ),
            {"id": quiet},
        )
    env = {**child_env, "BROKER_NAMESPACE": redis_namespace}
    done = run_cli("submission", "list", "--stuck", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [row["id"] for row in rows] == [str(quiet)]
    assert rows[0]["action"] == "redispatch"
    assert "the broker no longer holds message" in rows[0]["why"]
    assert rows[0]["quietSeconds"] >= 600
    # and the table names it too
    table = run_cli("submission", "list", "--stuck", env={**env, "COLUMNS": "250"})
    assert str(quiet) in table.stdout and str(busy) not in table.stdout
