"""The relay's batch publish and its one-statement mark, against real PostgreSQL and Redis:
an outage mid-batch, a message refused by itself, a lease lost between claim and mark."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import dramatiq
import pytest
import redis
import redis.client
import sqlalchemy as sa
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, MiddlewareError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.outbox import (
    outbox_claim_batch,
    outbox_mark_published_and_queue,
    outbox_rescue_expired,
)
from domain.errors import BrokerUnavailable
from domain.failures import BAD_INPUT
from tests.integration.outbox_seed import (
    broker_message_ids,
    event_counts,
    outbox_status_counts,
    seed_pending,
)
from workers.relay import Relay

QUEUE = "grading.request"
LEASE_SECONDS = 30


def db_now(engine: Engine) -> datetime:
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT now()")).scalar_one()
    assert isinstance(value, datetime)
    return value


def submission_statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status::text FROM submissions")).scalars()
        return Counter(rows)


def outbox_rows(engine: Engine) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT * FROM outbox ORDER BY created_at")))


def queued_events(engine: Engine) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT submission_id, data FROM submission_events WHERE kind = 'queued'")
        )
        return [(row[0], row[1]) for row in rows]


def lose_pipeline_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis runs every pipeline, then the connection breaks before its reply arrives."""
    execute = redis.client.Pipeline.execute

    def reply_lost(self: redis.client.Pipeline, raise_on_error: bool = True) -> Any:
        execute(self, raise_on_error=raise_on_error)
        raise redis.exceptions.ConnectionError("connection reset by peer")

    monkeypatch.setattr(redis.client.Pipeline, "execute", reply_lost)


def test_an_outage_in_the_middle_of_a_batch_marks_nothing_and_fails_nothing(
    engine: Engine,
    make_relay: Callable[..., Relay],
    redis_url: str,
    redis_namespace: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given 10 pending rows, and a Redis that takes the batch but whose reply is lost
    ids = seed_pending(engine, 10)
    lose_pipeline_replies(monkeypatch)
    relay = make_relay(backoff_base_seconds=10)
    t0 = db_now(engine)
    # when the relay runs a pass, it reports the outage
    with pytest.raises(BrokerUnavailable):
        relay.run_once(now=t0)
    # then no row counts as published, though the messages reached Redis
    assert len(broker_message_ids(redis_url, redis_namespace, QUEUE)) == 10
    rows = outbox_rows(engine)
    assert {(row.status, row.attempts) for row in rows} == {("pending", 1)}
    assert all("publish failed" in row.error_message for row in rows)
    # and nothing failed: no submission moved, no event beyond 'submitted'
    assert submission_statuses(engine) == Counter({"pending": 10})
    assert event_counts(engine, "queued") == {} and event_counts(engine, "outbox_failed") == {}
    # when Redis answers again and the backoff has passed
    monkeypatch.undo()
    assert make_relay(backoff_base_seconds=10).run_once(now=t0 + timedelta(seconds=11)) == 10
    # then every row is published and queued once (the earlier copies are deduped by id)
    assert outbox_status_counts(engine) == {"published": 10}
    assert set(event_counts(engine, "queued").values()) == {1}
    copies = Counter(broker_message_ids(redis_url, redis_namespace, QUEUE))
    assert set(copies) == set(map(str, ids))


class FailsAfter(RedisBroker):  # type: ignore[misc]
    """A broker of its own enqueue (so published one message at a time) that goes away
    after ``good`` messages."""

    def __init__(self, good: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.good = good

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> Any:
        if self.good <= 0:
            raise redis.exceptions.ConnectionError("connection refused")
        self.good -= 1
        return super().enqueue(message, delay=delay)


def test_a_broker_lost_after_some_messages_one_at_a_time_marks_none_of_them(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    # given 6 rows and a broker that goes away after 3 messages
    seed_pending(engine, 6)
    failing = FailsAfter(3, url=redis_url, namespace=redis_namespace)
    try:
        # when the relay runs a pass, it reports the outage
        with pytest.raises(BrokerUnavailable):
            make_relay(broker=failing).run_once()
    finally:
        failing.close()
    # then the 3 that got through are not marked either, and nothing failed
    assert outbox_status_counts(engine) == {"pending": 6}
    assert submission_statuses(engine) == Counter({"pending": 6})
    assert event_counts(engine, "queued") == {} and event_counts(engine, "outbox_failed") == {}


class RefuseOne(Middleware):  # type: ignore[misc]
    """Refuses, before it is sent, the message of one outbox row."""

    def __init__(self, outbox_id: uuid.UUID) -> None:
        self.outbox_id = str(outbox_id)

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        if message.message_id == self.outbox_id:
            raise MiddlewareError("this message may not be sent")


def test_a_message_refused_by_itself_fails_with_its_submission_and_the_rest_publish(
    engine: Engine,
    make_relay: Callable[..., Relay],
    broker: dramatiq.Broker,
    redis_url: str,
    redis_namespace: str,
) -> None:
    # given 5 rows, one of whose messages the broker side refuses
    ids = seed_pending(engine, 5)
    broker.add_middleware(RefuseOne(ids[2]))
    # when the relay runs a pass
    assert make_relay().run_once() == 5
    # then that row failed at once with the reason, and its submission with BAD_INPUT
    with engine.connect() as conn:
        refused = conn.execute(
            sa.text(
                "SELECT status::text, attempts, error_message, submission_id FROM outbox"
                " WHERE id = :id"
            ),
            {"id": ids[2]},
        ).one()
        failure = conn.execute(
            sa.text("SELECT data FROM submission_events WHERE kind = 'failed'")
        ).scalar_one()
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "may not be sent" in refused.error_message
    assert failure["failureReason"] == BAD_INPUT
    assert event_counts(engine, "outbox_failed") == {refused.submission_id: 1}
    # and the other four are on the broker, published, their submissions queued
    assert sorted(broker_message_ids(redis_url, redis_namespace, QUEUE)) == sorted(
        str(i) for i in ids if i != ids[2]
    )
    assert outbox_status_counts(engine) == {"published": 4, "failed": 1}
    assert submission_statuses(engine) == Counter({"queued": 4, "failed": 1})


def claim(session_factory: sessionmaker[Session], relay_id: str, now: datetime) -> list[uuid.UUID]:
    with session_factory.begin() as session:
        rows = outbox_claim_batch(
            session,
            relay_id=relay_id,
            limit=100,
            backoff_base_seconds=1,
            backoff_cap_seconds=300,
            now=now,
        )
    return [row.id for row in rows]


def test_the_one_statement_mark_leaves_alone_what_another_relay_took_over(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given relay A claimed 3 rows, stalled past the lease, and relay B took them over
    ids = seed_pending(engine, 3)
    t0 = db_now(engine)
    assert sorted(claim(session_factory, "relay-a", t0)) == sorted(ids)
    later = t0 + timedelta(seconds=LEASE_SECONDS + 1)
    with session_factory.begin() as session:
        assert len(outbox_rescue_expired(session, lease_seconds=LEASE_SECONDS, now=later)) == 3
    assert sorted(claim(session_factory, "relay-b", later)) == sorted(ids)
    # when A's mark arrives
    with session_factory.begin() as session:
        marked = outbox_mark_published_and_queue(session, relay_id="relay-a", ids=ids)
    # then it changed nothing: B still holds the rows, no submission moved, no event
    assert marked == []
    assert {(row.status, row.locked_by) for row in outbox_rows(engine)} == {
        ("processing", "relay-b")
    }
    assert submission_statuses(engine) == Counter({"pending": 3})
    assert queued_events(engine) == []
    # when B's mark arrives
    with session_factory.begin() as session:
        marked = outbox_mark_published_and_queue(session, relay_id="relay-b", ids=ids)
    # then the rows are published, each submission queued with one event saying by whom
    assert sorted(outbox_id for outbox_id, _ in marked) == sorted(ids)
    assert {row.status for row in outbox_rows(engine)} == {"published"}
    assert submission_statuses(engine) == Counter({"queued": 3})
    trace_ids = {row.submission_id: row.payload["traceId"] for row in outbox_rows(engine)}
    outbox_of = {row.submission_id: str(row.id) for row in outbox_rows(engine)}
    assert sorted(queued_events(engine)) == sorted(
        (
            submission_id,
            {
                "outboxId": outbox_of[submission_id],
                "messageId": outbox_of[submission_id],
                "relayId": "relay-b",
                "traceId": trace_ids[submission_id],
            },
        )
        for submission_id in outbox_of
    )


def test_the_one_statement_mark_moves_only_a_pending_submission(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given two claimed rows, one of whose submissions timed out meanwhile
    ids = seed_pending(engine, 2, payload_override={"traceId": None})
    t0 = db_now(engine)
    claim(session_factory, "relay-a", t0)
    with engine.begin() as conn:
        timed_out = conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'failed' WHERE id = "
                "(SELECT submission_id FROM outbox WHERE id = :id) RETURNING id"
            ),
            {"id": ids[0]},
        ).scalar_one()
    # when the relay marks both
    with session_factory.begin() as session:
        marked = outbox_mark_published_and_queue(session, relay_id="relay-a", ids=ids)
    # then both rows are published, but only the pending submission moved, with its event
    assert len(marked) == 2
    assert submission_statuses(engine) == Counter({"failed": 1, "queued": 1})
    [(submission_id, data)] = queued_events(engine)
    assert submission_id != timed_out and data["traceId"] is None
