"""Grading workers on real PostgreSQL and Redis: duplicates, order, retries, bad input."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.errors import TransientError
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import last_event_data, scalar, statuses, timeline
from tests.waiting import wait_until
from workers import grading
from workers.actors import RetryPolicy
from workers.relay import Relay


def payload_of(engine: Engine, submission_id: uuid.UUID) -> dict[str, Any]:
    value = scalar(engine, "SELECT payload FROM outbox WHERE submission_id = :id", id=submission_id)
    assert isinstance(value, dict)
    return value


def enqueue_copy(broker: dramatiq.Broker, engine: Engine, submission_id: uuid.UUID) -> None:
    """Put one more copy of the submission's grading.request on the broker."""
    outbox_id = scalar(engine, "SELECT id FROM outbox WHERE submission_id = :id", id=submission_id)
    broker.enqueue(
        dramatiq.Message(
            queue_name="grading.request",
            actor_name="grade_submission",
            args=(payload_of(engine, submission_id),),
            kwargs={},
            options={},
            message_id=str(outbox_id),
        )
    )


def submission_ids(engine: Engine) -> list[uuid.UUID]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT id FROM submissions ORDER BY id")).scalars())


def test_relayed_submissions_are_graded_with_score_band_result_and_progress(
    engine: Engine, make_relay: Callable[..., Relay], start_worker: Callable[..., dramatiq.Worker]
) -> None:
    # given 20 submissions answering 1 of 2 items right, relayed to the broker
    seed_pending(engine, 20)
    make_relay().run_once()
    # when a worker runs
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 20}, timeout=30)
    # then each has score 5.0, band B1, its result, one score row, and the full timeline
    sid = submission_ids(engine)[0]
    assert scalar(engine, "SELECT score::text || band FROM submissions WHERE id = :id", id=sid) == (
        "5.0B1"
    )
    result = scalar(
        engine, "SELECT result FROM submission_details WHERE submission_id = :id", id=sid
    )
    assert (result["correctCount"], result["totalCount"], result["items"]) == (
        1,
        2,
        {"1": True, "2": False},
    )
    assert timeline(engine, sid) == ["submitted", "queued", "processing", "completed"]
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 20
    assert scalar(engine, "SELECT attempt_count FROM user_progress") == 20
    assert scalar(engine, "SELECT completed_at IS NOT NULL FROM submissions WHERE id = :id", id=sid)


def test_the_same_message_twice_at_once_and_later_completes_once(
    engine: Engine,
    broker: dramatiq.Broker,
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given one queued submission whose message is on the broker three times
    # (two copies at once, a third after it completed)
    seed_pending(engine, 1)
    (sid,) = submission_ids(engine)
    enqueue_copy(broker, engine, sid)
    enqueue_copy(broker, engine, sid)
    start_worker(threads=4)
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    enqueue_copy(broker, engine, sid)
    broker.join("grading.request", timeout=10_000)
    # then it completed once, with one score row and one attempt counted
    assert event_counts(engine, "completed") == {sid: 1}
    assert event_counts(engine, "processing") == {sid: 1}
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 1
    assert scalar(engine, "SELECT attempt_count FROM user_progress") == 1


def test_message_that_outruns_the_relays_mark_is_graded_and_the_late_mark_changes_nothing(
    engine: Engine,
    broker: dramatiq.Broker,
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a relay that claimed and published a row but has not marked it yet
    seed_pending(engine, 1)
    relay = make_relay()
    from db.outbox import outbox_claim_batch

    with relay.session_factory.begin() as session:
        claimed = outbox_claim_batch(
            session, relay_id=relay.relay_id, limit=1, backoff_base_seconds=1, backoff_cap_seconds=1
        )
    published, failures = relay.publish(claimed)
    sid = claimed[0].submission_id
    # when the worker grades it while it is still pending
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    # and the relay's mark arrives late
    relay.record(claimed, published, failures, None)
    # then the timeline has one queued event, in the right place
    assert timeline(engine, sid) == ["submitted", "queued", "processing", "completed"]
    assert scalar(engine, "SELECT status::text FROM outbox") == "published"


def test_a_transient_error_heals_on_the_second_try(
    engine: Engine,
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a grader that times out once
    real = grading.grade_objective  # type: ignore[attr-defined]
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise TransientError("grader timed out")
        return real(*args, **kwargs)

    monkeypatch.setattr(grading, "grade_objective", flaky)
    seed_pending(engine, 1)
    make_relay().run_once()
    # when the worker runs
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    # then the timeline shows the error, the retry and the completion
    (sid,) = submission_ids(engine)
    assert timeline(engine, sid) == [
        "submitted",
        "queued",
        "processing",
        "error",
        "retrying",
        "processing",
        "completed",
    ]
    assert last_event_data(engine, sid, "retrying")["attempt"] == 2
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 1


def test_transient_errors_that_never_heal_fail_after_three_retries(
    engine: Engine,
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise TransientError("grader refused the connection")

    monkeypatch.setattr(grading, "grade_objective", broken)
    seed_pending(engine, 1)
    make_relay().run_once()
    start_worker(
        retry=RetryPolicy(max_retries=3, min_backoff_seconds=0.02, max_backoff_seconds=0.05)
    )
    wait_until(lambda: statuses(engine) == {"failed": 1}, timeout=30)
    (sid,) = submission_ids(engine)
    failed = last_event_data(engine, sid, "failed")
    assert (failed["failureReason"], failed["attemptsMade"]) == ("MAX_RETRIES", 4)
    assert "grader refused the connection" in failed["lastError"]
    assert event_counts(engine, "processing") == {sid: 4}
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 0


def test_bad_input_fails_at_once_without_retries(
    engine: Engine, make_relay: Callable[..., Relay], start_worker: Callable[..., dramatiq.Worker]
) -> None:
    # given a question whose answer key was removed after intake
    seed_pending(engine, 1)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE questions SET answer_key = NULL"))
    make_relay().run_once()
    start_worker()
    wait_until(lambda: statuses(engine) == {"failed": 1}, timeout=20)
    (sid,) = submission_ids(engine)
    failed = last_event_data(engine, sid, "failed")
    assert (failed["failureReason"], failed["attemptsMade"]) == ("BAD_INPUT", 1)
    assert "answer_key" in failed["lastError"]
    assert event_counts(engine, "processing") == {sid: 1}
    assert timeline(engine, sid)[-2:] == ["processing", "failed"]


def test_an_unexpected_error_fails_the_submission_visibly_without_retries(
    engine: Engine,
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given grading that hits a bug (not bad input, not a lost connection)
    def buggy(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("unexpected state in the grader")

    monkeypatch.setattr(grading, "grade_objective", buggy)
    seed_pending(engine, 1)
    make_relay().run_once()
    # when the worker runs
    start_worker()
    # then the submission is failed with the error, after one attempt, not left queued
    wait_until(lambda: statuses(engine) == {"failed": 1}, timeout=20)
    (sid,) = submission_ids(engine)
    failed = last_event_data(engine, sid, "failed")
    assert (failed["failureReason"], failed["attemptsMade"]) == ("INTERNAL_ERROR", 1)
    assert "unexpected state in the grader" in failed["lastError"]
    assert event_counts(engine, "processing") == {sid: 1}
