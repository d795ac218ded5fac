"""Outages as an outsider stages them: relay, worker and scheduler as real processes.

The broker restarted empty, PostgreSQL stopped for a while, a worker's connections cut,
the relay's LISTEN connection lost: every submission is still graded exactly once, and an
outage spends no retry of the grading (two schedulers racing: test_scheduler_races.py).
"""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine

from db.session import make_engine
from tests.acceptance.cli import run_cli
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import scalar, statuses
from tests.integration.system_processes import SystemProcesses, system_processes
from tests.private_servers import private_postgres, private_redis
from tests.waiting import wait_until
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
