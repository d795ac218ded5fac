"""Build the Dramatiq broker from BROKER_URL: Redis by default, RabbitMQ for amqp://."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

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
