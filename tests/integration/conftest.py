"""Fixtures shared by the integration tests: a broker in the test's own Redis key space."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dramatiq
import pytest
from sqlalchemy.orm import Session, sessionmaker

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
