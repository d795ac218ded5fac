"""Build the Dramatiq broker from BROKER_URL (Redis by default, RabbitMQ for amqp://), and
its one error boundary: connection errors become BrokerUnavailable.

The relay's batch publish is ``workers/broker_batch.py``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
import dramatiq.errors
import pika
import pika.exceptions
import redis
import redis.exceptions
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from domain.errors import BrokerUnavailable

# A worker silent for this long is dead: the Redis broker hands its unacked messages
# to live workers. Dramatiq's default (60 s, checked on 0.1% of commands) is far slower.
REDIS_MAINTENANCE_PER_MILLION = 200_000


def make_broker(
    url: str,
    *,
    namespace: str = "vstep-grading",
    redelivery_seconds: float = 30.0,
    middleware: list[Any] | None = None,
) -> dramatiq.Broker:
    """A broker for ``url``; ``namespace`` keeps Redis keys apart (tests use their own)."""
    if url.startswith(("amqp://", "amqps://")):
        # RabbitMQ gives a dead consumer's unacked messages back as soon as its
        # connection drops, so no heartbeat tuning is needed here.
        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    # Heartbeats are refreshed on every fetch (about once a second while idle), so half the
    # redelivery time leaves room; maintenance runs often enough to notice within it.
    heartbeat_ms = int(redelivery_seconds * 1000 / 2)
    return RedisBroker(
        url=url,
        namespace=namespace,
        middleware=middleware,
        heartbeat_timeout=heartbeat_ms,
        maintenance_chance=REDIS_MAINTENANCE_PER_MILLION,
    )


# What redis, pika and Dramatiq raise when the broker is away or going away.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    pika.exceptions.AMQPError,
    dramatiq.errors.ConnectionFailed,
    dramatiq.errors.ConnectionClosed,
    ConnectionError,
    TimeoutError,
)


@contextmanager
def broker_errors() -> Iterator[None]:
    """The broker side's one boundary: connection errors become BrokerUnavailable."""
    try:
        yield
    except UNAVAILABLE as exc:
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}"[:1000]) from exc


def enqueue(
    broker: dramatiq.Broker, message: dramatiq.Message[Any], *, delay_ms: int | None = None
) -> None:
    """Put ``message`` on the broker (delivered no sooner than ``delay_ms`` from now);
    BrokerUnavailable when it does not answer."""
    with broker_errors():
        broker.enqueue(message, delay=delay_ms or None)


def broker_ping(url: str) -> None:
    """One round trip to the broker at ``url``; BrokerUnavailable when it does not answer."""
    with broker_errors():
        if url.startswith(("amqp://", "amqps://")):
            pika.BlockingConnection(pika.URLParameters(url)).close()
            return
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        finally:
            client.close()


def broker_check(broker: dramatiq.Broker) -> None:
    """A round trip on ``broker``'s own connection; BrokerUnavailable while it is away."""
    with broker_errors():
        if isinstance(broker, RedisBroker):
            broker.client.ping()
        elif isinstance(broker, RabbitmqBroker):
            try:
                broker.connection.process_data_events(time_limit=0)
            except pika.exceptions.AMQPError:
                del broker.connection  # the next use opens a fresh one
                raise
