"""The scheduler's duties, run_once called with a given ``now``, on real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import dramatiq
import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.outbox_seed import event_counts, outbox_status_counts, seed_pending
from tests.integration.pipeline_checks import last_event_data, scalar, statuses
from workers.broker_probe import RedisProbe
from workers.duties.leases import LeaseDuty, LeaseSettings
from workers.duties.retention import RetentionDuty, RetentionSettings
from workers.duties.stalls import StallDuty, StallSettings
from workers.duties.timeouts import TimeoutDuty, TimeoutSettings
from workers.relay import Relay

QUEUE = "grading.request"


def db_now(engine: Engine) -> datetime:
    value = scalar(engine, "SELECT now()")
    assert isinstance(value, datetime)
    return value


def execute(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def flush_namespace(redis_url: str, namespace: str) -> None:
    """What a Redis restarted empty looks like to us: every key of ours gone."""
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{namespace}*", count=1000):
            client.delete(key)
    finally:
        client.close()


# --- timeouts -------------------------------------------------------------------------


def test_submissions_past_their_deadline_fail_with_timeout_but_review_pending_never_does(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given four submissions due at the same deadline: queued, retrying after an error,
    # in review, and one already completed
    seed_pending(engine, 4)
    queued, retrying, review, done = scalar_list(engine, "SELECT id FROM submissions ORDER BY id")
    execute(engine, "UPDATE submissions SET status = 'queued' WHERE id = :id", id=queued)
    execute(engine, "UPDATE submissions SET status = 'retrying' WHERE id = :id", id=retrying)
    execute(
        engine,
        "INSERT INTO submission_events (submission_id, kind, data) VALUES "
        "(:id, 'processing', '{}'), (:id, 'error', '{\"error\": \"grader timed out\"}')",
        id=retrying,
    )
    execute(engine, "UPDATE submissions SET status = 'review_pending' WHERE id = :id", id=review)
    execute(engine, "UPDATE submissions SET status = 'completed' WHERE id = :id", id=done)
    deadline = scalar(engine, "SELECT max(deadline) FROM submissions")
    duty = TimeoutDuty(session_factory)
    # when the duty runs just before the deadline, nothing happens
    assert duty.run_once(now=deadline - timedelta(seconds=1)) == 0
    # when it runs just after
    assert duty.run_once(now=deadline + timedelta(seconds=1)) == 2
    # (a batch of 500 was not filled: the loop need not run it again at once)
    assert duty.more_waiting is False
    # then the two being graded failed with TIMEOUT, attempts and the last error
    assert statuses(engine) == {"failed": 2, "review_pending": 1, "completed": 1}
    failed = last_event_data(engine, retrying, "failed")
    assert failed["failureReason"] == "TIMEOUT"
    assert (failed["attemptsMade"], failed["lastError"]) == (1, "grader timed out")
    assert last_event_data(engine, queued, "failed")["attemptsMade"] == 0
    # and a second pass changes nothing
    assert duty.run_once(now=deadline + timedelta(seconds=2)) == 0
    assert set(event_counts(engine, "failed").values()) == {1}


def test_a_full_batch_of_timeouts_says_more_waits(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given three submissions past their deadline, and a duty failing two per pass
    seed_pending(engine, 3)
    late = scalar(engine, "SELECT max(deadline) FROM submissions") + timedelta(seconds=1)
    duty = TimeoutDuty(session_factory, TimeoutSettings(batch_size=2))
    # then a full batch says more waits, and the short one after it says nothing does
    assert (duty.run_once(now=late), duty.more_waiting) == (2, True)
    assert (duty.run_once(now=late), duty.more_waiting) == (1, False)


def scalar_list(engine: Engine, sql: str) -> list[uuid.UUID]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).scalars())


# --- stalls -------------------------------------------------------------------------------


def stall_duty(
    session_factory: sessionmaker[Session], broker: dramatiq.Broker, **overrides: float
) -> StallDuty:
    assert hasattr(broker, "client")
    return StallDuty(
        session_factory,
        RedisProbe(broker),
        StallSettings(
            stall_seconds=overrides.get("stall_seconds", 120),
            max_redispatch=int(overrides.get("max_redispatch", 3)),
        ),
    )


def test_a_queued_submission_whose_message_redis_lost_is_dispatched_again(
    engine: Engine,
    session_factory: sessionmaker[Session],
    broker: dramatiq.Broker,
    make_relay: Callable[..., Relay],
    redis_url: str,
    redis_namespace: str,
) -> None:
    # given three submissions relayed to Redis
    seed_pending(engine, 3)
    make_relay().run_once()
    duty = stall_duty(session_factory, broker)
    later = db_now(engine) + timedelta(seconds=121)
    # when they are quiet past the stall window but Redis still holds their messages
    # then they are a backlog, and nothing is sent again
    assert duty.run_once(now=later) == 0
    assert outbox_status_counts(engine) == {"published": 3}
    # when Redis restarts empty
    flush_namespace(redis_url, redis_namespace)
    # then each is dispatched again: a new outbox row and a redispatched event, once
    assert duty.run_once(now=later) == 3
    assert outbox_status_counts(engine) == {"published": 3, "pending": 3}
    redispatched = event_counts(engine, "redispatched")
    assert len(redispatched) == 3 and set(redispatched.values()) == {1}
    sid = next(iter(redispatched))
    data = last_event_data(engine, sid, "redispatched")
    assert data["redispatchCount"] == 1 and data["stalledSeconds"] >= 120
    new_payload = scalar(
        engine,
        "SELECT payload FROM outbox WHERE status = 'pending' AND submission_id = :id",
        id=sid,
    )
    assert new_payload["requestId"] == str(
        scalar(engine, "SELECT request_id FROM submissions WHERE id = :id", id=sid)
    )
    # and while the new rows wait for the relay, nothing more is sent
    assert duty.run_once(now=later + timedelta(seconds=300)) == 0


def test_a_submission_redispatched_too_often_fails_as_stalled(
    engine: Engine,
    session_factory: sessionmaker[Session],
    broker: dramatiq.Broker,
    make_relay: Callable[..., Relay],
    redis_url: str,
    redis_namespace: str,
) -> None:
    # given a submission whose message keeps getting lost
    seed_pending(engine, 1)
    relay = make_relay()
    duty = stall_duty(session_factory, broker, stall_seconds=60, max_redispatch=2)
    relay.run_once()
    # when it stalls three times (the relay sends each copy, Redis loses it again)
    for _ in range(3):
        flush_namespace(redis_url, redis_namespace)
        assert duty.run_once(now=db_now(engine) + timedelta(seconds=61)) == 1
        relay.run_once()
    # then after two redispatches it failed with STALLED
    (sid,) = scalar_list(engine, "SELECT id FROM submissions")
    assert event_counts(engine, "redispatched") == {sid: 2}
    assert statuses(engine) == {"failed": 1}
    failed = last_event_data(engine, sid, "failed")
    assert (failed["failureReason"], failed["redispatchCount"]) == ("STALLED", 2)


def test_stalls_leave_alone_what_is_past_its_deadline_deleted_or_recently_active(
    engine: Engine,
    session_factory: sessionmaker[Session],
    broker: dramatiq.Broker,
    make_relay: Callable[..., Relay],
    redis_url: str,
    redis_namespace: str,
) -> None:
    seed_pending(engine, 3)
    make_relay().run_once()
    flush_namespace(redis_url, redis_namespace)
    past, deleted, active = scalar_list(engine, "SELECT id FROM submissions ORDER BY id")
    execute(
        engine, "UPDATE submissions SET deadline = now() - interval '1 s' WHERE id = :id", id=past
    )
    execute(engine, "UPDATE submissions SET deleted_at = now() WHERE id = :id", id=deleted)
    duty = stall_duty(session_factory, broker, stall_seconds=60)
    # the third is quiet for only 30 s
    assert duty.run_once(now=db_now(engine) + timedelta(seconds=30)) == 0
    # past 60 s only it is sent again: the timeout duty owns the first, nobody the second
    assert duty.run_once(now=db_now(engine) + timedelta(seconds=61)) == 1
    assert list(event_counts(engine, "redispatched")) == [active]


# --- leases -------------------------------------------------------------------------------


def test_leases_take_back_rows_of_a_dead_relay_and_rows_with_no_lease_time(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    expired, unstamped, fresh = seed_pending(engine, 3)
    execute(
        engine,
        "UPDATE outbox SET status = 'processing', locked_by = 'dead-relay', "
        "locked_at = now() - interval '2 minutes' WHERE id = :id",
        id=expired,
    )
    execute(
        engine,
        "UPDATE outbox SET status = 'processing', locked_at = NULL WHERE id = :id",
        id=unstamped,
    )
    execute(
        engine,
        "UPDATE outbox SET status = 'processing', locked_by = 'live-relay', locked_at = now() "
        "WHERE id = :id",
        id=fresh,
    )
    duty = LeaseDuty(session_factory, LeaseSettings(lease_seconds=60))
    assert duty.run_once() == 2
    rows = dict(
        (row[0], row[1])
        for row in sa_rows(engine, "SELECT id, status::text FROM outbox ORDER BY id")
    )
    assert (rows[expired], rows[unstamped], rows[fresh]) == ("pending", "pending", "processing")
    assert duty.run_once() == 0


def sa_rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


# --- retention ----------------------------------------------------------------------------


def test_retention_deletes_old_published_rows_and_callbacks_in_batches_and_nothing_else(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    ids = seed_pending(engine, 9)
    old_published = ids[:5]
    execute(
        engine,
        "UPDATE outbox SET status = 'published', published_at = now() - interval '8 days' "
        "WHERE id = ANY(:ids)",
        ids=old_published,
    )
    execute(
        engine,
        "UPDATE outbox SET status = 'published', published_at = now() - interval '6 days' "
        "WHERE id = :id",
        id=ids[5],
    )
    execute(engine, "UPDATE outbox SET status = 'failed' WHERE id = :id", id=ids[6])
    execute(
        engine,
        "UPDATE outbox SET status = 'processing', locked_at = now() - interval '9 days' "
        "WHERE id = :id",
        id=ids[7],
    )
    execute(
        engine,
        "INSERT INTO processed_callbacks (event_id, request_id, submission_id, processed_at) "
        "SELECT gen_random_uuid(), gen_random_uuid(), submission_id, now() - age "
        "FROM outbox, (VALUES (interval '31 days'), (interval '29 days')) AS ages(age) "
        "WHERE outbox.id = :id",
        id=ids[0],
    )
    retention = RetentionSettings(outbox_days=7, callback_days=30, token_days=30, batch_size=2)
    duty = RetentionDuty(session_factory, retention)
    # five old published rows in batches of two, and one old callback
    assert duty.run_once() == 6
    assert outbox_status_counts(engine) == {
        "published": 1,
        "failed": 1,
        "processing": 1,
        "pending": 1,
    }
    assert scalar(engine, "SELECT count(*) FROM processed_callbacks") == 1
    assert duty.run_once() == 0
