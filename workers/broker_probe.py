"""Asking the broker whether it still holds a message, so stalled work is sent again only
when it is really lost.

Redis keeps every message it holds (ready, delayed for a retry, or taken by a worker
and not yet acked) in a hash under its id, so it can answer exactly. RabbitMQ cannot
be asked about one message; while its queue still has messages waiting, a quiet
submission is taken to be in that backlog, and once the queue is empty a copy is sent
(a duplicate there is harmless: the worker's guarded transitions make it a no-op).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from workers.broker import broker_errors


class BrokerProbe(Protocol):
    def waiting(self, queue_name: str, message_ids: Sequence[str]) -> set[str]:
        """The ids among ``message_ids`` the broker may still deliver; BrokerUnavailable."""
        ...


class RedisProbe:
    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker

    def waiting(self, queue_name: str, message_ids: Sequence[str]) -> set[str]:
        if not message_ids:
            return set()
        namespace = self.broker.namespace
        # The queue itself, and its delay queue (retries waiting for their backoff).
        hashes = [f"{namespace}:{queue_name}.msgs", f"{namespace}:{queue_name}.DQ.msgs"]
        with broker_errors():
            pipe = self.broker.client.pipeline(transaction=False)
            for message_id in message_ids:
                for key in hashes:
                    pipe.hexists(key, message_id)
            found = pipe.execute()
        return {
            message_id
            for index, message_id in enumerate(message_ids)
            if found[2 * index] or found[2 * index + 1]
        }


class RabbitmqProbe:
    def __init__(self, broker: RabbitmqBroker) -> None:
        self.broker = broker

    def waiting(self, queue_name: str, message_ids: Sequence[str]) -> set[str]:
        with broker_errors():
            ready, delayed, _dead = self.broker.get_queue_message_counts(queue_name)
        return set(message_ids) if ready + delayed > 0 else set()


def probe_for(broker: dramatiq.Broker) -> BrokerProbe:
    if isinstance(broker, RedisBroker):
        return RedisProbe(broker)
    if isinstance(broker, RabbitmqBroker):
        return RabbitmqProbe(broker)
    raise TypeError(f"no probe for {type(broker).__name__}")
