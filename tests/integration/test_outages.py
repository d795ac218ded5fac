"""Outages as an outsider stages them: relay, worker and scheduler as real processes.

The broker restarted empty, PostgreSQL stopped for a while, a worker's connections cut,
two schedulers racing: every submission is still graded exactly once, and an outage
spends no retry of the grading.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import URL, Engine

from db.clock import database_now
from db.session import make_engine, make_session_factory
from tests.acceptance.cli import run_cli
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import scalar, statuses
from tests.integration.system_processes import SystemProcesses, system_processes
from tests.private_servers import private_postgres, private_redis
from tests.waiting import wait_until
from workers.broker import make_broker
from workers.broker_probe import RedisProbe
from workers.duties.stalls import StallDuty, StallSettings
from workers.duties.timeouts import TimeoutDuty, TimeoutSettings
from workers.relay import Relay, RelaySettings
from workers.relay_loop import OUTBOX_CHANNEL, OutboxListener

SUBMISSIONS = 300
# Long enough for the pipeline to drain after the outage on a loaded two-core machine.
DRAIN_TIMEOUT_SECONDS = 60.0
# Rounds of cutting the worker's connections in the middle of its transactions.
CUT_ROUNDS = 5


def assert_graded_exactly_once(engine: Engine, count: int) -> None:
    assert statuses(engine) == {"completed": count}
    completed = event_counts(engine, "completed")
    assert len(completed) == count and set(completed.values()) == {1}
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == count
    assert scalar(engine, "SELECT sum(attempt_count) FROM user_progress") == count


def assert_no_retry_spent(engine: Engine) -> None:
    for kind in ("error", "retrying", "failed"):
        assert event_counts(engine, kind) == {}, f"{kind} events were written"


def completed_at_least(engine: Engine, count: int) -> bool:
    return statuses(engine)["completed"] >= count


def wait_for_all_completed(engine: Engine, running: SystemProcesses, count: int) -> None:
    def done() -> bool:
        assert not running.dead(), f"a process exited: {running.dead()}"
        return statuses(engine)["completed"] == count

    try:
        wait_until(done, timeout=DRAIN_TIMEOUT_SECONDS, message="not every submission completed")
    except AssertionError as exc:
        logs = "\n".join(f"--- {name}\n{running.tail(name)}" for name in running.processes)
        raise AssertionError(f"{exc}: {statuses(engine)}\n{logs}") from None


def test_broker_restarted_empty_mid_run_loses_nothing(
    engine: Engine, child_env: dict[str, str], tmp_path: Path
) -> None:
    with private_redis() as broker_server:
        # given 300 submissions and the whole system running on a Redis of the test's own,
        # which notices a silent worker and a stalled submission within seconds
        seed_pending(engine, SUBMISSIONS)
        env = {
            **child_env,
            "BROKER_URL": broker_server.url,
            "GRADING_STALL_SECONDS": "3",
            "WORKER_REDELIVERY_SECONDS": "4",
        }
        with system_processes(env, tmp_path) as running:
            running.start_system()
            wait_until(
                lambda: statuses(engine)["completed"] >= SUBMISSIONS // 3,
                timeout=60,
                message="a third were not graded",
            )
            # when Redis crashes and comes back empty: every message it held is gone
            broker_server.kill()
            broker_server.start()
            assert statuses(engine)["completed"] < SUBMISSIONS, "the outage came too late"
            # then the scheduler sends the lost work again and all of it is graded
            wait_for_all_completed(engine, running, SUBMISSIONS)
            assert not running.dead()
    # exactly once each, the lost messages replaced by redispatches
    assert_graded_exactly_once(engine, SUBMISSIONS)
    assert len(event_counts(engine, "redispatched")) > 0
    assert_no_retry_spent(engine)


def reported(running: SystemProcesses, name: str, event: str) -> bool:
    return bool(running.events(name, event))


def test_database_stopped_mid_run_spends_no_retry(
    redis_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    with private_postgres() as server:
        # given a database of the test's own, migrated by the CLI, with 300 submissions
        database_url = server.create_database("vstep_grading")
        env = {
            "DATABASE_URL": database_url,
            "BROKER_URL": redis_url,
            "BROKER_NAMESPACE": redis_namespace,
            "LOG_FORMAT": "json",
            "GRADING_STALL_SECONDS": "5",
        }
        upgraded = run_cli("db", "upgrade", env={**dict(os.environ), **env}, timeout=120)
        assert upgraded.returncode == 0, upgraded.stderr
        engine = make_engine(database_url)
        try:
            seed_pending(engine, SUBMISSIONS)
            with system_processes({**dict(os.environ), **env}, tmp_path) as running:
                running.start_system()
                wait_until(
                    lambda: statuses(engine)["completed"] >= 30,
                    timeout=60,
                    message="nothing was graded",
                )
                # when PostgreSQL stops (every session ended at once) for about 15 s
                engine.dispose()
                server.stop("fast")
                stopped_at = time.monotonic()
                wait_until(
                    lambda: time.monotonic() - stopped_at >= 15 or bool(running.dead()),
                    timeout=30,
                )
                assert not running.dead(), f"a process exited during the outage: {running.dead()}"
                server.start()
                assert statuses(engine)["completed"] < SUBMISSIONS, "the outage came too late"
                # then every process is still there and all the work is done
                wait_for_all_completed(engine, running, SUBMISSIONS)
                assert not running.dead()
                # and the relay and the scheduler each reported the outage once (the
                # scheduler may still be in its backoff when the last grading commits)
                for name in ("relay", "scheduler"):
                    ended_once = partial(reported, running, name, "outage_ended")
                    wait_until(ended_once, timeout=60, message=f"{name} reported no end")
                    started = running.events(name, "outage_started")
                    ended = running.events(name, "outage_ended")
                    assert len(started) == 1 and len(ended) == 1, (name, started, ended)
            assert_graded_exactly_once(engine, SUBMISSIONS)
            assert_no_retry_spent(engine)
            # nothing was lost: the broker held every message through the outage
            assert event_counts(engine, "redispatched") == {}
        finally:
            engine.dispose()


def test_worker_connections_cut_mid_run_spends_no_retry(
    engine: Engine,
    db_url: str,
    child_env: dict[str, str],
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    # given 300 submissions and the whole system running
    seed_pending(engine, SUBMISSIONS)
    env = {**child_env, "BROKER_NAMESPACE": redis_namespace}
    cut = 0
    with system_processes(env, tmp_path) as running:
        running.start_system()
        wait_until(
            lambda: statuses(engine)["completed"] >= 30, timeout=60, message="nothing was graded"
        )
        # when the worker's database sessions are terminated in the middle of a grading
        # transaction, round after round while it grades
        with psycopg.connect(db_url, autocommit=True) as admin:

            def cut_in_flight() -> int:
                nonlocal cut
                killed = sum(
                    1
                    for (ok,) in admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'vstep-grading worker' "
                        "AND datname = current_database() AND state <> 'idle'"
                    )
                    if ok
                )
                cut += killed
                return killed

            target = SUBMISSIONS * 2 // 3
            for _ in range(CUT_ROUNDS):
                before = statuses(engine)["completed"]
                if before >= target:
                    break
                wait_until(
                    lambda: cut_in_flight() > 0 or statuses(engine)["completed"] >= target,
                    timeout=20,
                    message="no grading transaction to cut",
                )
                # and it recovers between the cuts
                wait_until(
                    partial(completed_at_least, engine, before + 10),
                    timeout=30,
                    message="grading did not resume after a cut",
                )
        # then the worker stays up and grades everything
        wait_for_all_completed(engine, running, SUBMISSIONS)
        assert not running.dead()
        assert running.events("worker", "outage_started"), "the worker noticed no cut"
        # and no completion is claimed in the log that a cut commit did not make (a commit
        # applied whose answer was lost is the only way to have fewer lines)
        assert len(running.events("worker", "submission_completed")) <= SUBMISSIONS
    assert cut > 0
    assert_graded_exactly_once(engine, SUBMISSIONS)
    assert_no_retry_spent(engine)
    assert event_counts(engine, "redispatched") == {}


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


def test_relay_listener_replaces_a_lost_connection_at_once(db_url: str) -> None:
    # given the relay's LISTEN connection, whose backend then goes away (a restart, a kill)
    listener = OutboxListener(db_url)
    try:
        backend = listener.listening().info.backend_pid
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
            wait_until(
                lambda: (
                    not admin.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)
                    ).fetchall()
                ),
                timeout=10,
            )
            # when the loop next waits on it, with the database answering
            woken = listener.wait(1.0)
            # then no outage is raised: a new connection listens, and the loop is woken for a
            # pass in case something was inserted meanwhile
            assert woken
            admin.execute(f"NOTIFY {OUTBOX_CHANNEL}")
            assert listener.wait(5.0)
    finally:
        listener.close()
