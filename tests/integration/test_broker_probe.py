"""The Redis probe answers by message id, whatever key Dramatiq files a message under."""

from __future__ import annotations

import time
import uuid

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from workers.broker import enqueue
from workers.broker_probe import RedisProbe

QUEUE = "grading.request"


def message(message_id: str) -> dramatiq.Message[object]:
    return dramatiq.Message(
        queue_name=QUEUE,
        actor_name="grade_submission",
        args=(),
        kwargs={},
        options={},
        message_id=message_id,
        message_timestamp=int(time.time() * 1000),
    )


def test_redis_probe_finds_ready_and_delayed_messages_by_their_id(
    broker: dramatiq.Broker,
) -> None:
    assert isinstance(broker, RedisBroker)
    # given one message ready, one delayed for a retry, and an id never sent
    ready, delayed, unknown = (str(uuid.uuid4()) for _ in range(3))
    enqueue(broker, message(ready))
    broker.enqueue(message(delayed), delay=60_000)
    # when the probe is asked about all three
    held = RedisProbe(broker).waiting(QUEUE, [ready, delayed, unknown])
    # then it knows the two the broker holds, and only those
    assert held == {ready, delayed}
    assert RedisProbe(broker).waiting(QUEUE, []) == set()
