"""The relay as a real process: killed mid-run it loses nothing; SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.acceptance.cli import VSTEP
from tests.brokers import rabbitmq_queue_depth, rabbitmq_vhost
from tests.integration.outbox_seed import (
    broker_message_ids,
    event_counts,
    outbox_status_counts,
    seed_pending,
)
from tests.integration.pipeline_checks import statuses
from tests.waiting import wait_until
from workers.actors import RetryPolicy, register_actors
from workers.broker import make_broker
from workers.grading import GradingService
from workers.relay import Relay, RelaySettings


def start_relay(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """The relay with its log lines in a file (a pipe left unread could stall it)."""
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            [VSTEP, "relay"], env=env, stdout=subprocess.DEVNULL, stderr=log_file
        )


def relay_env(child_env: dict[str, str], redis_namespace: str, **extra: str) -> dict[str, str]:
    return {**child_env, "BROKER_NAMESPACE": redis_namespace, **extra}


def test_relay_killed_mid_run_loses_nothing(
    engine: Engine,
    child_env: dict[str, str],
    redis_url: str,
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    # given 3,000 pending rows and a relay working through them in small batches
    ids = seed_pending(engine, 3000)
    env = relay_env(child_env, redis_namespace, OUTBOX_BATCH_SIZE="25", OUTBOX_LEASE_SECONDS="2")
    first = start_relay(env, tmp_path / "first.log")
    try:
        wait_until(
            lambda: outbox_status_counts(engine).get("published", 0) >= 300,
            timeout=60,
            message="the first relay did not publish 300 rows",
        )
    finally:
        # when it is killed without warning, somewhere between claim, publish and mark
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert outbox_status_counts(engine).get("published", 0) < 3000
    # and another relay takes over
    second = start_relay(env, tmp_path / "second.log")
    try:
        wait_until(
            lambda: outbox_status_counts(engine) == {"published": 3000},
            timeout=120,
            message="not every row was published after the crash",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    # then every row reached the broker (a few perhaps twice) and each submission was
    # queued exactly once
    on_broker = Counter(broker_message_ids(redis_url, redis_namespace, "grading.request"))
    assert set(on_broker) == {str(i) for i in ids}
    queued = event_counts(engine, "queued")
    assert len(queued) == 3000 and set(queued.values()) == {1}


def test_sigterm_stops_the_relay_cleanly(
    child_env: dict[str, str], redis_namespace: str, tmp_path: Path
) -> None:
    # given a relay idling with a long poll interval
    log_path = tmp_path / "relay.log"
    relay = start_relay(relay_env(child_env, redis_namespace, OUTBOX_POLL_SECONDS="30"), log_path)
    wait_until(lambda: "relay_started" in log_path.read_text(), timeout=20)
    # when it gets SIGTERM
    relay.send_signal(signal.SIGTERM)
    # then it stops at once, with exit code 0, saying so
    assert relay.wait(timeout=5) == 0
    assert "relay_stopped" in log_path.read_text()


@pytest.mark.rabbitmq
def test_relay_publishes_to_rabbitmq(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    factory = session_factory
    with rabbitmq_vhost() as url:
        # given 20 pending rows and a relay whose BROKER_URL is amqp://
        ids = seed_pending(engine, 20)
        broker = make_broker(url)
        try:
            relay = Relay(session_factory=factory, broker=broker, settings=RelaySettings())
            # when it runs a pass
            assert relay.run_once() == 20
        finally:
            broker.close()
        # then RabbitMQ holds the 20 messages and the rows are published
        assert rabbitmq_queue_depth(url, "grading.request") == len(ids)
        assert outbox_status_counts(engine) == {"published": 20}


@pytest.mark.rabbitmq
def test_relay_and_worker_grade_through_rabbitmq(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with rabbitmq_vhost() as url:
        # given 10 pending submissions and BROKER_URL=amqp:// for relay and worker
        seed_pending(engine, 10)
        broker = make_broker(url)
        register_actors(broker, GradingService(engine), retry=RetryPolicy(), worker_id="amqp-test")
        worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
        worker.start()
        try:
            # when the relay publishes
            Relay(
                session_factory=session_factory, broker=broker, settings=RelaySettings()
            ).run_once()
            # then the worker grades every one
            wait_until(lambda: statuses(engine) == {"completed": 10}, timeout=30)
        finally:
            worker.stop()
            broker.close()
        assert set(event_counts(engine, "completed").values()) == {1}
