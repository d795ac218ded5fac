"""Asking the broker whether it still holds a message, so stalled work is sent again only
when it is really lost.

Redis keeps every message it holds (ready, delayed for a retry, or taken by a worker
and not yet acked) in a hash per queue, so it can answer exactly; the hash is keyed by
an id Dramatiq draws afresh on each enqueue (``redis_message_id``), not by the message
id, so the probe reads the message ids from the stored messages themselves. RabbitMQ cannot
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
from dramatiq.errors import DecodeError

from workers.broker import broker_errors

# Hash entries fetched per HSCAN round trip.
SCAN_COUNT = 1000


class BrokerProbe(Protocol):
    def waiting(self, queue_name: str, message_ids: Sequence[str]) -> set[str]:
        """The ids among ``message_ids`` the broker may still deliver; BrokerUnavailable."""
        ...


class RedisProbe:
    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker

    def waiting(self, queue_name: str, message_ids: Sequence[str]) -> set[str]:
        """One scan of the queue's hashes: O(messages held), read in pages of SCAN_COUNT."""
        wanted = set(message_ids)
        if not wanted:
            return set()
        namespace = self.broker.namespace
        # The queue itself, and its delay queue (retries waiting for their backoff).
        hashes = [f"{namespace}:{queue_name}.msgs", f"{namespace}:{queue_name}.DQ.msgs"]
        held: set[str] = set()
        with broker_errors():
            for key in hashes:
                for _redis_id, raw in self.broker.client.hscan_iter(key, count=SCAN_COUNT):
                    try:
                        message_id = dramatiq.Message.decode(raw).message_id
                    except DecodeError:
                        continue  # not a message of ours; it cannot be one we look for
                    if message_id in wanted:
                        held.add(message_id)
                        if held == wanted:
                            return held
        return held


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
