"""The outbox relay against real PostgreSQL and Redis: publish, poison, backoff, rescue, race."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import dramatiq
import pytest
import redis
import sqlalchemy as sa
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.engine import Engine

from db.urls import libpq_url
from domain.errors import BrokerUnavailable
from tests.integration.outbox_seed import (
    broker_message_ids,
    event_counts,
    outbox_status_counts,
    seed_pending,
)
from tests.waiting import wait_until
from workers.broker import make_broker
from workers.relay import Relay
from workers.relay_loop import OUTBOX_CHANNEL, run_relay

QUEUE = "grading.request"


def db_now(engine: Engine) -> datetime:
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT now()")).scalar_one()
    assert isinstance(value, datetime)
    return value


def outbox_row(engine: Engine, outbox_id: uuid.UUID) -> sa.Row[tuple[object, ...]]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM outbox WHERE id = :id"), {"id": outbox_id}).one()


def submission_statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(
            str(s) for s in conn.execute(sa.text("SELECT status FROM submissions")).scalars()
        )


def test_publishes_a_batch_and_queues_each_submission_once(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    # given 30 pending outbox rows
    ids = seed_pending(engine, 30)
    # when a relay runs a pass
    relay = make_relay(batch_size=100)
    claimed = relay.run_once()
    # then every row is on the broker under its own id, published, and its submission queued
    assert claimed == 30
    # (a pass that found rows runs again at once: producers skipped their NOTIFY meanwhile)
    assert relay.more_waiting is True
    assert sorted(broker_message_ids(redis_url, redis_namespace, QUEUE)) == sorted(map(str, ids))
    assert outbox_status_counts(engine) == {"published": 30}
    assert submission_statuses(engine) == Counter({"queued": 30})
    assert set(event_counts(engine, "queued").values()) == {1}
    row = outbox_row(engine, ids[0])
    assert row.attempts == 1 and row.published_at is not None and row.error_message is None
    # and a second pass finds nothing to do
    assert make_relay().run_once() == 0
    assert (relay.run_once(), relay.more_waiting) == (0, False)


def test_oldest_rows_go_first(engine: Engine, make_relay: Callable[..., Relay]) -> None:
    ids = seed_pending(engine, 10)
    make_relay(batch_size=4).run_once()
    with engine.connect() as conn:
        published = set(
            conn.execute(sa.text("SELECT id FROM outbox WHERE status = 'published'")).scalars()
        )
    assert published == set(ids[:4])


def test_poison_rows_fail_at_once_and_never_loop(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    # given a row with no route and one whose payload lacks userId, beside a good one
    unroutable = seed_pending(engine, 1, message_type="grading.unknown")[0]
    invalid = seed_pending(engine, 1, payload_override={"userId": None})[0]
    good = seed_pending(engine, 1)[0]
    relay = make_relay()
    # when the relay passes twice
    relay.run_once()
    assert relay.run_once() == 0
    # then both poison rows are failed with an error naming the problem, after one attempt
    bad_route, bad_payload = outbox_row(engine, unroutable), outbox_row(engine, invalid)
    assert (bad_route.status, bad_route.attempts) == ("failed", 1)
    assert "no route for message_type 'grading.unknown'" in bad_route.error_message
    assert (bad_payload.status, bad_payload.attempts) == ("failed", 1)
    assert "payload.userId" in bad_payload.error_message
    # and only the good row reached the broker; the poison submissions failed with the reason
    assert broker_message_ids(redis_url, redis_namespace, QUEUE) == [str(good)]
    assert submission_statuses(engine) == Counter({"failed": 2, "queued": 1})
    assert len(event_counts(engine, "outbox_failed")) == 2


def test_unreachable_broker_backs_off_then_recovers(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    # given rows and a broker that does not answer
    ids = seed_pending(engine, 3)
    dead_broker = make_broker("redis://127.0.0.1:1/0", namespace=redis_namespace)
    down = make_relay(broker=dead_broker, backoff_base_seconds=10, max_attempts=3)
    t0 = db_now(engine)
    # when the relay tries, the pass reports the outage
    with pytest.raises(BrokerUnavailable):
        down.run_once(now=t0)
    # then each row is pending again with the error and one attempt
    row = outbox_row(engine, ids[0])
    assert (row.status, row.attempts) == ("pending", 1)
    assert "publish failed" in row.error_message
    # and while the broker stays away, later passes claim nothing: no attempt is spent
    for seconds in (5, 30, 600):
        with pytest.raises(BrokerUnavailable):
            down.run_once(now=t0 + timedelta(seconds=seconds))
    assert outbox_row(engine, ids[0]).attempts == 1
    # when the broker is back after the backoff
    up = make_relay(backoff_base_seconds=10, max_attempts=3)
    assert up.run_once(now=t0 + timedelta(seconds=11)) == 3
    # then every row is published once
    assert outbox_status_counts(engine) == {"published": 3}
    assert sorted(broker_message_ids(redis_url, redis_namespace, QUEUE)) == sorted(map(str, ids))
    dead_broker.close()


class RefusingBroker(RedisBroker):  # type: ignore[misc]
    """A live Redis that answers pings but drops every enqueue (a flapping connection)."""

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> Any:
        raise redis.exceptions.ConnectionError("connection reset by peer")


def test_rows_fail_after_max_attempts_of_a_broker_that_answers_but_refuses(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    ids = seed_pending(engine, 1)
    refusing = RefusingBroker(url=redis_url, namespace=redis_namespace)
    relay = make_relay(broker=refusing, backoff_base_seconds=1, max_attempts=3)
    t = db_now(engine)
    for step in range(5):
        with contextlib.suppress(BrokerUnavailable):
            relay.run_once(now=t + timedelta(seconds=10 * step))
    row = outbox_row(engine, ids[0])
    assert (row.status, row.attempts) == ("failed", 3)
    assert "publish failed" in row.error_message
    refusing.close()


def test_a_dead_relays_rows_are_rescued_after_the_lease(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    # given relay A claimed and published a batch, then died before marking it
    ids = seed_pending(engine, 5)
    dead = make_relay(lease_seconds=30)
    t0 = db_now(engine)
    with dead.session_factory.begin() as session:
        from db.outbox import outbox_claim_batch

        claimed = outbox_claim_batch(
            session,
            relay_id=dead.relay_id,
            limit=10,
            backoff_base_seconds=1,
            backoff_cap_seconds=300,
            now=t0,
        )
    dead.publish(claimed)
    survivor = make_relay(lease_seconds=30)
    # when relay B runs inside the lease, nothing is taken from A
    assert survivor.run_once(now=t0 + timedelta(seconds=10)) == 0
    # when relay B runs after the lease
    assert survivor.run_once(now=t0 + timedelta(seconds=31)) == 5
    # then every row is published (twice on the broker: consumers dedup by message id)
    assert outbox_status_counts(engine) == {"published": 5}
    copies = Counter(broker_message_ids(redis_url, redis_namespace, QUEUE))
    assert set(copies) == set(map(str, ids)) and set(copies.values()) == {2}
    # and each submission was queued exactly once
    assert set(event_counts(engine, "queued").values()) == {1}
    # when A comes back and tries to mark its stale batch, it changes nothing
    dead.record(claimed, claimed, [], None)
    with engine.connect() as conn:
        lockers = set(conn.execute(sa.text("SELECT locked_by FROM outbox")).scalars())
    assert lockers == {survivor.relay_id}


def test_two_relays_racing_publish_every_row_once(
    engine: Engine, make_relay: Callable[..., Relay], redis_url: str, redis_namespace: str
) -> None:
    # given 2,000 pending rows and two relays in parallel threads
    ids = seed_pending(engine, 2000)
    relays = [make_relay(batch_size=100), make_relay(batch_size=100)]
    handled = Counter[str]()

    def drain(relay: Relay) -> None:
        while (claimed := relay.run_once()) > 0:
            handled[relay.relay_id] += claimed

    threads = [threading.Thread(target=drain, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then each row reached the broker exactly once and both relays took part
    on_broker = Counter(broker_message_ids(redis_url, redis_namespace, QUEUE))
    assert set(on_broker) == set(map(str, ids)) and set(on_broker.values()) == {1}
    assert sum(handled.values()) == 2000 and len(handled) == 2
    assert outbox_status_counts(engine) == {"published": 2000}
    queued = event_counts(engine, "queued")
    assert len(queued) == 2000 and set(queued.values()) == {1}


def relay_is_listening(engine: Engine) -> bool:
    """A backend of this test's database has run the relay's LISTEN (and is still there)."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND query = :listen"
            ),
            {"listen": f"LISTEN {OUTBOX_CHANNEL}"},
        ).scalar_one()
    return bool(found)


def count_passes(relay: Relay, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows each of the relay's passes handled, appended as the passes end."""
    passes: list[int] = []
    run_once = relay.run_once

    def counted(now: datetime | None = None) -> int:
        handled = run_once(now)
        passes.append(handled)
        return handled

    monkeypatch.setattr(relay, "run_once", counted)
    return passes


def test_notify_wakes_an_idle_relay_without_waiting_for_the_poll(
    engine: Engine,
    make_relay: Callable[..., Relay],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a relay idling with a poll interval far longer than the test's patience
    relay = make_relay(poll_seconds=60)
    passes = count_passes(relay, monkeypatch)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_relay, args=(relay,), kwargs={"database_url": db_url, "stop": stop}
    )
    thread.start()
    try:
        # that LISTENs and has made its first pass (which would publish a row by itself)
        wait_until(
            lambda: relay_is_listening(engine) and len(passes) >= 1,
            timeout=10,
            message="the relay did not LISTEN and finish its first pass",
        )
        # when a row is inserted
        ids = seed_pending(engine, 1)
        # then it is published by a pass the NOTIFY woke, well before the poll would fire
        wait_until(
            lambda: outbox_status_counts(engine) == {"published": 1},
            timeout=5,
            message=f"row {ids[0]} was not published on NOTIFY",
        )
        assert passes[0] == 0  # the row came after the first pass: only NOTIFY could wake it
    finally:
        stop.set()
        thread.join(timeout=70)
    assert not thread.is_alive()


def test_libpq_url_of_the_test_database_is_usable(db_sa_url: sa.URL) -> None:
    assert libpq_url(db_sa_url).startswith("postgresql://")


def test_broker_fixture_is_a_redis_broker(broker: dramatiq.Broker) -> None:
    assert type(broker).__name__ == "RedisBroker"
