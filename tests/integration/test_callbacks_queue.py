"""Callbacks through the broker: a retry held until its backoff, the same callback many times
through the queue applied once, a callback written to the outbox relayed to the actor."""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.callback_bodies import callback, completed, writing_submission
from tests.integration.outbox_seed import broker_message_ids, event_counts
from tests.integration.pipeline_checks import last_event_data, scalar, statuses
from tests.waiting import wait_until
from workers.relay import Relay
from workers.results import CallbackService, ResultSettings


def test_a_retried_request_is_held_by_the_broker_until_its_backoff_has_passed(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    redis_url: str,
    redis_namespace: str,
) -> None:
    service = CallbackService(
        session_factory, ResultSettings(spot_check_rate=0, retry_base_seconds=60)
    )
    sid, rid = writing_submission(session_factory, engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET status = 'published'"))
    error = {"type": "timeout", "code": "T", "message": "busy", "retryable": True}
    assert service.apply(callback(sid, rid, "error", {"error": error}), via="test") == "applied"
    make_relay().run_once()
    # then the message waits in the delay queue, not the queue workers take from
    assert broker_message_ids(redis_url, redis_namespace, "grading.request") == []
    held = broker_message_ids(redis_url, redis_namespace, "grading.request.DQ")
    assert held == [str(last_event_data(engine, sid, "retrying")["outboxId"])]


def test_the_same_callback_100_times_through_the_queue_applies_once(
    engine: Engine,
    session_factory: sessionmaker[Session],
    broker: dramatiq.Broker,
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    sid, rid = writing_submission(session_factory, engine)
    body = completed(sid, rid)
    start_worker(threads=8)
    for _ in range(100):
        broker.enqueue(
            dramatiq.Message(
                queue_name="grading.callback",
                actor_name="apply_grading_callback",
                args=(body,),
                kwargs={},
                options={},
            )
        )
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=30)
    broker.join("grading.callback", timeout=30_000)
    assert event_counts(engine, "completed") == {sid: 1}
    assert scalar(engine, "SELECT count(*) FROM processed_callbacks") == 1
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 1


def test_a_callback_written_to_the_outbox_is_relayed_to_the_actor(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    sid, rid = writing_submission(session_factory, engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET status = 'published'"))
        conn.execute(
            sa.text(
                "INSERT INTO outbox (submission_id, aggregate_type, aggregate_id, message_type, "
                "payload) VALUES (:id, 'submission', :id, 'grading.callback', CAST(:p AS jsonb))"
            ),
            {"id": sid, "p": __import__("json").dumps(completed(sid, rid))},
        )
    make_relay().run_once()
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    assert last_event_data(engine, sid, "completed")["via"] == "queue"
