"""Writing and speaking through an external AI grader: a real local HTTP server stands in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import dramatiq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.grader_standin import grader_standin
from tests.integration.callback_bodies import writing_submission
from tests.integration.outbox_seed import event_counts
from tests.integration.pipeline_checks import last_event_data, scalar, statuses, timeline
from tests.waiting import wait_until
from workers.actors import RetryPolicy, register_actors
from workers.ai_grader import AiGraderClient
from workers.broker_probe import RedisProbe
from workers.duties.stalls import StallDuty, StallSettings
from workers.duties.timeouts import TimeoutDuty
from workers.grading import GradingService
from workers.relay import Relay
from workers.results import CallbackService, ResultSettings
from workers.routes import GRADE_SUBMISSION

CALLBACK_URL = "http://127.0.0.1:8080/v1/callbacks"
FAST_RETRIES = RetryPolicy(max_retries=3, min_backoff_seconds=0.05, max_backoff_seconds=0.1)


def submit_writing(session_factory: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    """A writing submission fresh from intake (pending, its request in the outbox)."""
    return writing_submission(session_factory, None, status=None)


def test_the_grader_gets_the_documented_request_and_a_429_is_retried_after_retry_after(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    sid, rid = submit_writing(session_factory)
    with grader_standin((429, {"Retry-After": "1"})) as grader:
        make_relay().run_once()
        # Retry-After is honoured up to the retry cap: a cap above the grader's 1 s
        start_worker(
            retry=RetryPolicy(max_retries=3, min_backoff_seconds=0.05, max_backoff_seconds=5),
            ai_grader=AiGraderClient(grader.url, callback_url=CALLBACK_URL),
        )
        wait_until(lambda: len(grader.received) == 2, timeout=20, message="no second request")
        wait_until(lambda: event_counts(engine, "grader_requested") == {sid: 2}, timeout=10)
    first: dict[str, Any] = grader.received[0]
    assert set(first) == {"requestId", "submissionId", "skill", "question", "answer", "callbackUrl"}
    assert (first["requestId"], first["submissionId"], first["skill"]) == (
        str(rid),
        str(sid),
        "writing",
    )
    assert (
        first["question"]["format"] == "writing_task_1" and "prompt" in first["question"]["content"]
    )
    assert first["answer"]["text"] and first["callbackUrl"] == CALLBACK_URL
    # the 429 was a transient error, retried no sooner than the grader asked (1 s)
    assert grader.received_at[1] - grader.received_at[0] >= 0.95
    events = timeline(engine, sid)
    assert events[-4:] == ["error", "retrying", "processing", "grader_requested"]
    assert "429" in last_event_data(engine, sid, "error")["error"]
    # and the submission waits in processing for the grader's callback, which completes it
    assert statuses(engine) == {"processing": 1}
    callbacks = CallbackService(session_factory, ResultSettings(spot_check_rate=0))
    verdict = callbacks.apply(
        {
            "eventId": str(uuid.uuid4()),
            "requestId": str(rid),
            "submissionId": str(sid),
            "kind": "completed",
            "occurredAt": "2026-11-29T12:00:00Z",
            "data": {"result": {"overallScore": 6.5, "confidence": 93}},
        },
        via="test",
    )
    assert verdict == "applied" and statuses(engine) == {"completed": 1}


def test_a_grader_failing_three_times_is_retried_within_the_budget_then_takes_it(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    sid, _ = submit_writing(session_factory)
    with grader_standin((500, {}), (502, {}), (503, {})) as grader:
        make_relay().run_once()
        start_worker(
            retry=FAST_RETRIES, ai_grader=AiGraderClient(grader.url, callback_url=CALLBACK_URL)
        )
        wait_until(lambda: event_counts(engine, "grader_requested") == {sid: 4}, timeout=20)
    assert len(grader.received) == 4
    assert event_counts(engine, "error") == {sid: 3}
    assert statuses(engine) == {"processing": 1}


def test_a_grader_that_refuses_the_request_fails_it_as_bad_input(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    sid, _ = submit_writing(session_factory)
    with grader_standin((422, {})) as grader:
        make_relay().run_once()
        start_worker(
            retry=FAST_RETRIES, ai_grader=AiGraderClient(grader.url, callback_url=CALLBACK_URL)
        )
        wait_until(lambda: statuses(engine) == {"failed": 1}, timeout=20)
    failed = last_event_data(engine, sid, "failed")
    assert failed["failureReason"] == "BAD_INPUT" and "422" in failed["lastError"]
    assert len(grader.received) == 1


def test_a_grader_that_never_calls_back_is_asked_again_by_the_stall_duty(
    engine: Engine,
    session_factory: sessionmaker[Session],
    broker: dramatiq.Broker,
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    sid, _ = submit_writing(session_factory)
    with grader_standin() as grader:
        relay = make_relay()
        relay.run_once()
        start_worker(ai_grader=AiGraderClient(grader.url, callback_url=CALLBACK_URL))
        wait_until(lambda: len(grader.received) == 1, timeout=20)
        broker.join("grading.request", timeout=10_000)
        # when no result has come for the stall window
        now = scalar(engine, "SELECT now()") + timedelta(seconds=121)
        stalls = StallDuty(
            session_factory,
            RedisProbe(broker),
            StallSettings(stall_seconds=120, max_redispatch=1),
        )
        assert stalls.run_once(now=now) == 1
        relay.run_once()
        # then the request goes to the grader again, for the same request id
        wait_until(lambda: len(grader.received) == 2, timeout=20)
        broker.join("grading.request", timeout=10_000)
        # and once asked as often as allowed, a silent grader is left to the deadline: the
        # submission is not failed as stalled before its SLA is up
        later = scalar(engine, "SELECT now()") + timedelta(seconds=121)
        assert stalls.run_once(now=later) == 0
    assert grader.received[1]["requestId"] == grader.received[0]["requestId"]
    assert event_counts(engine, "redispatched") == {sid: 1}
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT status::text FROM submissions")).scalar() == "processing"
        )


def test_a_retry_after_of_an_hour_waits_the_cap_and_never_past_the_deadline(
    engine: Engine, session_factory: sessionmaker[Session], broker: dramatiq.Broker
) -> None:
    # given a writing submission, and the grading actor with the default retries (cap 300 s)
    sid, _ = submit_writing(session_factory)
    payload = scalar(engine, "SELECT payload FROM outbox WHERE submission_id = :id", id=sid)
    with grader_standin(*[(429, {"Retry-After": "3600"})] * 2) as grader:
        actors = register_actors(
            broker,
            GradingService(
                engine,
                text_grader=AiGraderClient(grader.url, callback_url=CALLBACK_URL),
            ),
            retry=RetryPolicy(),
            worker_id="test-worker",
        )
        grade = actors[GRADE_SUBMISSION].fn
        # when the grader answers 429 with Retry-After: 3600
        with pytest.raises(dramatiq.Retry) as retried:
            grade(payload)
        # then the retry waits the cap, 300 s, not an hour: on the message and the event
        assert retried.value.delay == 300_000
        retrying = last_event_data(engine, sid, "retrying")
        assert retrying["retryAfter"] == 3600
        waits = datetime.fromisoformat(retrying["notBefore"]) - retrying_at(engine, sid)
        assert timedelta(seconds=299) <= waits <= timedelta(seconds=300)
        # and when the deadline is 60 s away, the retry is due by the deadline
        with engine.begin() as conn:
            deadline = conn.execute(
                sa.text(
                    "UPDATE submissions SET deadline = now() + interval '60 seconds' "
                    "WHERE id = :id RETURNING deadline"
                ),
                {"id": sid},
            ).scalar_one()
        with pytest.raises(dramatiq.Retry) as retried:
            grade(payload)
        assert 58_000 <= retried.value.delay <= 60_000
        assert datetime.fromisoformat(last_event_data(engine, sid, "retrying")["notBefore"]) <= (
            deadline
        )
        # and a retry that finds the deadline passed does not ask the grader again: the
        # submission times out as the timeout duty fails it
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE submissions SET deadline = now() - interval '1 second'"),
            )
        grade(payload)
        assert last_event_data(engine, sid, "grading_skipped")["reason"] == "past the deadline"
        assert TimeoutDuty(session_factory).run_once() == 1
    assert len(grader.received) == 2
    assert last_event_data(engine, sid, "failed")["failureReason"] == "TIMEOUT"


def retrying_at(engine: Engine, sid: uuid.UUID) -> datetime:
    at: datetime = scalar(
        engine,
        "SELECT max(occurred_at) FROM submission_events WHERE submission_id = :id "
        "AND kind = 'retrying'",
        id=sid,
    )
    return at
