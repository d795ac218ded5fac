"""Fixtures shared by the integration tests: a broker in the test's own Redis key space, and
a `vstep-grading serve` process for the serve tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.engines import engine_of
from tests.integration.serve_client import SECRET, ServeClient, free_port
from tests.integration.system_processes import system_processes
from workers.broker import make_broker
from workers.relay import Relay, RelaySettings


@pytest.fixture
def broker(redis_url: str, redis_namespace: str) -> Iterator[dramatiq.Broker]:
    instance = make_broker(redis_url, namespace=redis_namespace)
    yield instance
    instance.close()


@pytest.fixture
def make_relay(
    session_factory: sessionmaker[Session], broker: dramatiq.Broker
) -> Callable[..., Relay]:
    def build(**overrides: object) -> Relay:
        relay_broker = overrides.pop("broker", broker)
        assert isinstance(relay_broker, dramatiq.Broker)
        return Relay(
            session_factory=session_factory,
            broker=relay_broker,
            settings=RelaySettings(**overrides),  # type: ignore[arg-type]
        )

    return build


@pytest.fixture
def start_worker(
    broker: dramatiq.Broker, session_factory: sessionmaker[Session]
) -> Iterator[Callable[..., dramatiq.Worker]]:
    """Start an in-process Dramatiq worker running our real actors on the test's broker."""
    from workers.actors import RetryPolicy, register_actors
    from workers.ai_grader import AiGraderClient
    from workers.grading import GradingService
    from workers.middleware import LogContext
    from workers.results import CallbackService, ResultSettings

    started: list[dramatiq.Worker] = []

    def start(
        *,
        retry: RetryPolicy | None = None,
        threads: int = 4,
        ai_grader: AiGraderClient | None = None,
    ) -> dramatiq.Worker:
        broker.add_middleware(LogContext())
        register_actors(
            broker,
            GradingService(engine_of(session_factory), text_grader=ai_grader),
            retry=retry or RetryPolicy(min_backoff_seconds=0.05, max_backoff_seconds=0.2),
            worker_id="test-worker",
            callbacks=CallbackService(session_factory, ResultSettings(spot_check_rate=0)),
        )
        worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def serve_env(child_env: dict[str, str]) -> dict[str, str]:
    # No spot checks: a 95-confidence result must complete, not go to review by chance.
    return {**child_env, "CALLBACK_SECRET": SECRET, "SPOT_CHECK_RATE": "0"}


@pytest.fixture
def server(serve_env: dict[str, str], tmp_path: Path) -> Iterator[ServeClient]:
    with system_processes(serve_env, tmp_path) as processes:
        client = ServeClient(processes, free_port())
        try:
            client.start()
            yield client
        finally:
            client.close()
