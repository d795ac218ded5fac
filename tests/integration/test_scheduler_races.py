"""Two schedulers racing, each on its own connections: every timed-out submission failed
once, every lost one dispatched again once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import redis
from sqlalchemy.engine import URL, Engine

from db.clock import database_now
from db.session import make_engine, make_session_factory
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import scalar, statuses
from workers.broker import make_broker
from workers.broker_probe import RedisProbe
from workers.duties.stalls import StallDuty, StallSettings
from workers.duties.timeouts import TimeoutDuty, TimeoutSettings
from workers.relay import Relay, RelaySettings

SUBMISSIONS = 300


def race(first: Callable[[], int], second: Callable[[], int]) -> tuple[int, int]:
    """Run both at once (as two schedulers would); what each returned."""
    barrier = threading.Barrier(2)
    results: dict[int, int] = {}
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], int]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results[0], results[1]


def race_until_done(duties: list[Callable[[], int]]) -> int:
    """Race the two duties, round after round, until neither finds work; rows handled."""
    total = 0
    while True:
        handled = race(*duties)
        total += sum(handled)
        if not sum(handled):
            return total


def test_two_schedulers_fail_each_timed_out_submission_once(engine: Engine, db_sa_url: URL) -> None:
    # given 300 submissions past their deadline and two schedulers, each its own connections
    ids = seed_pending(engine, SUBMISSIONS)
    engines = [make_engine(db_sa_url) for _ in range(2)]
    try:
        with make_session_factory(engine)() as session:
            later = database_now(session) + timedelta(minutes=10)
        # small batches, so the two interleave pass by pass
        duties = [
            TimeoutDuty(make_session_factory(e), TimeoutSettings(batch_size=40)) for e in engines
        ]
        # when both run their timeout duty at the same moment, until nothing is left
        handled = race_until_done([partial(d.run_once, later) for d in duties])
    finally:
        for e in engines:
            e.dispose()
    # then each submission failed once, with one failed event
    assert handled == len(ids)
    assert statuses(engine) == {"failed": len(ids)}
    failed = event_counts(engine, "failed")
    assert len(failed) == len(ids) and set(failed.values()) == {1}


def test_two_schedulers_redispatch_each_lost_submission_once(
    engine: Engine, db_sa_url: URL, redis_url: str, redis_namespace: str
) -> None:
    # given 300 submissions queued, whose messages the broker then lost
    ids = seed_pending(engine, SUBMISSIONS)
    broker = make_broker(redis_url, namespace=redis_namespace)
    engines = [make_engine(db_sa_url) for _ in range(2)]
    try:
        relay = Relay(
            session_factory=make_session_factory(engine),
            broker=broker,
            settings=RelaySettings(batch_size=500),
        )
        assert relay.run_once() == len(ids)
        assert RedisProbe(broker).waiting("grading.request", [str(i) for i in ids])
        client = redis.Redis.from_url(redis_url)
        try:
            for key in client.scan_iter(match=f"{redis_namespace}*"):
                client.delete(key)
        finally:
            client.close()
        with make_session_factory(engine)() as session:
            later = database_now(session) + timedelta(seconds=60)
        # and two schedulers, each its own connections and broker client, paging in small steps
        duties = [
            StallDuty(
                make_session_factory(e),
                RedisProbe(make_broker(redis_url, namespace=redis_namespace)),
                StallSettings(stall_seconds=30, max_redispatch=3, page_size=25),
            )
            for e in engines
        ]
        # when both run their stall duty at the same moment, until nothing is left
        handled = race_until_done([partial(d.run_once, later) for d in duties])
    finally:
        broker.close()
        for e in engines:
            e.dispose()
    # then each submission was dispatched again once: one event, one new outbox row
    assert handled == len(ids)
    redispatched = event_counts(engine, "redispatched")
    assert len(redispatched) == len(ids) and set(redispatched.values()) == {1}
    assert scalar(engine, "SELECT count(*) FROM outbox WHERE status = 'pending'") == len(ids)
    assert event_counts(engine, "failed") == {}
