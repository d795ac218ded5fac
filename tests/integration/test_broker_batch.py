"""enqueue_batch against real Redis and RabbitMQ: it writes what the broker's own enqueue
writes, and an unmodified Dramatiq worker consumes its messages the same way."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
import pika
import pytest
import redis
import redis.client
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, MiddlewareError

from domain.errors import BrokerUnavailable
from tests.brokers import rabbitmq_queue_depth, rabbitmq_vhost
from tests.waiting import wait_until
from workers.broker import make_broker
from workers.broker_batch import Outgoing, enqueue_batch

QUEUE = "batch.first"
OTHER_QUEUE = "batch.second"
DELAY_MS = 400


class Recorder:
    """Two actors on a broker that note each value they are given, and when."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.seen: dict[str, list[float]] = {}
        self.lock = threading.Lock()

        def record(value: str) -> None:
            with self.lock:
                self.seen.setdefault(value, []).append(time.time())

        self.first = dramatiq.actor(record, broker=broker, queue_name=QUEUE, actor_name="first")
        self.second = dramatiq.actor(
            record, broker=broker, queue_name=OTHER_QUEUE, actor_name="second"
        )

    def batch(self, count: int, *, delayed: int = 0) -> list[Outgoing]:
        """``count`` messages over both queues, the last ``delayed`` of them delayed."""
        actors = (self.first, self.second)
        return [
            (actors[n % 2].message(f"value-{n}"), DELAY_MS if n >= count - delayed else None)
            for n in range(count)
        ]

    def all_seen_once(self, count: int) -> bool:
        with self.lock:
            return len(self.seen) == count and all(len(t) == 1 for t in self.seen.values())


@contextmanager
def running_worker(broker: dramatiq.Broker) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def stored_messages(client: redis.Redis, namespace: str, queue: str) -> list[dict[str, Any]]:
    """The messages Redis holds for ``queue``, in list order, decoded."""
    ids = client.lrange(f"{namespace}:{queue}", 0, -1)
    raw = client.hmget(f"{namespace}:{queue}.msgs", ids) if ids else []
    return [json.loads(item) for item in raw if item is not None]


# What differs between two enqueues of one message: its ids, its time and its eta.
PER_COPY = ("message_id", "message_timestamp")
PER_COPY_OPTIONS = ("eta", "redis_message_id")


def comparable(message: dict[str, Any]) -> dict[str, Any]:
    options = message["options"]
    return {
        **{k: v for k, v in message.items() if k not in PER_COPY},
        "options": {k: v for k, v in options.items() if k not in PER_COPY_OPTIONS},
        "has_eta": "eta" in options,
    }


def test_a_batch_is_consumed_by_a_dramatiq_worker_delays_included(
    broker: dramatiq.Broker,
) -> None:
    # given 20 messages over two queues, three of them delayed
    recorder = Recorder(broker)
    batch = recorder.batch(20, delayed=3)
    # when they are published as one batch and a plain Dramatiq worker runs
    sent_at = time.time()
    assert enqueue_batch(broker, batch) == [None] * 20
    with running_worker(broker):
        # then every message is consumed exactly once
        wait_until(lambda: recorder.all_seen_once(20), timeout=20, message="batch not consumed")
    # and the delayed ones not before their delay
    for n in (17, 18, 19):
        assert recorder.seen[f"value-{n}"][0] >= sent_at + DELAY_MS / 1000 - 0.05


def test_a_batch_writes_what_the_brokers_enqueue_writes(
    broker: dramatiq.Broker, redis_url: str, redis_namespace: str
) -> None:
    assert isinstance(broker, RedisBroker)
    recorder = Recorder(broker)
    client = redis.Redis.from_url(redis_url)
    try:
        # given the same messages, once through broker.enqueue, once as a batch
        for message, delay in recorder.batch(8, delayed=4):
            broker.enqueue(message, delay=delay)
        one_by_one = {
            queue: stored_messages(client, redis_namespace, queue)
            for queue in (QUEUE, OTHER_QUEUE, f"{QUEUE}.DQ", f"{OTHER_QUEUE}.DQ")
        }
        client.delete(*(f"{redis_namespace}:{queue}" for queue in one_by_one))
        client.delete(*(f"{redis_namespace}:{queue}.msgs" for queue in one_by_one))
        client.delete(f"{redis_namespace}:__heartbeats__")
        enqueue_batch(broker, recorder.batch(8, delayed=4))
        batched = {queue: stored_messages(client, redis_namespace, queue) for queue in one_by_one}
        # then Redis holds the same messages under the same keys, in the same order,
        # each under its own redis_message_id, delayed ones with an eta
        assert {q: [comparable(m) for m in ms] for q, ms in batched.items()} == {
            q: [comparable(m) for m in ms] for q, ms in one_by_one.items()
        }
        assert [len(ms) for ms in batched.values()] == [2, 2, 2, 2]
        for messages in batched.values():
            for message in messages:
                assert client.hexists(
                    f"{redis_namespace}:{message['queue_name']}.msgs",
                    message["options"]["redis_message_id"],
                )
        # and the broker's heartbeat is there, as after any broker command
        assert client.zscore(f"{redis_namespace}:__heartbeats__", broker.broker_id) is not None
    finally:
        client.close()


def test_a_stock_consumer_reads_a_batch_in_order_as_sent(
    broker: dramatiq.Broker, redis_url: str, redis_namespace: str
) -> None:
    # given 50 messages for one queue, published as one batch (the first through the
    # broker's enqueue, the other 49 written by the batch itself)
    recorder = Recorder(broker)
    sent = [recorder.first.message(f"value-{n}") for n in range(50)]
    assert enqueue_batch(broker, [(message, None) for message in sent]) == [None] * 50
    # when Dramatiq's own consumer reads the queue
    consumer = broker.consume(QUEUE, prefetch=100, timeout=100)
    received: list[tuple[str, str, tuple[Any, ...]]] = []
    deadline = time.monotonic() + 10
    while len(received) < 50 and time.monotonic() < deadline:
        proxy = next(consumer)
        if proxy is not None:  # the message, behind Dramatiq's proxy for its consumer
            received.append((proxy.message_id, proxy.actor_name, proxy.args))
            consumer.ack(proxy)
    consumer.close()
    # then it gets every message once, in the order sent, each as it was built
    assert received == [(m.message_id, m.actor_name, m.args) for m in sent]
    # and, acked, nothing of them is left in Redis but the queue's (now empty) keys
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen(f"{redis_namespace}:{QUEUE}") == 0
        assert client.hlen(f"{redis_namespace}:{QUEUE}.msgs") == 0
    finally:
        client.close()


class Hooks(Middleware):  # type: ignore[misc]
    """Notes the enqueue hooks and refuses, before it is sent, the message of one value."""

    def __init__(self, refused_value: str) -> None:
        self.refused_value = refused_value
        self.before: list[dramatiq.Message[Any]] = []
        self.after: list[dramatiq.Message[Any]] = []

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        self.before.append(message)
        if message.args == (self.refused_value,):
            raise MiddlewareError("refused by a middleware")

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        self.after.append(message)


def test_hooks_run_per_message_and_a_refusal_stays_with_its_message(
    broker: dramatiq.Broker,
) -> None:
    # given a middleware that refuses one message of five
    hooks = Hooks(refused_value="value-2")
    broker.add_middleware(hooks)
    recorder = Recorder(broker)
    # when the five are published as one batch
    outcomes = enqueue_batch(broker, recorder.batch(5))
    # then only that one is refused, with the middleware's error
    assert [outcome is None for outcome in outcomes] == [True, True, False, True, True]
    assert isinstance(outcomes[2], MiddlewareError)
    # and each hook saw the copy the broker stores, before and after for the sent ones
    assert len(hooks.before) == 5 and len(hooks.after) == 4
    assert all("redis_message_id" in m.options for m in hooks.after)
    # and the other four reach a worker
    with running_worker(broker):
        wait_until(lambda: recorder.all_seen_once(4), timeout=20, message="batch not consumed")
    assert "value-2" not in recorder.seen


def test_a_pipeline_whose_reply_is_lost_is_an_outage(
    broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Redis runs the batch but the connection breaks before the reply comes back
    recorder = Recorder(broker)
    execute = redis.client.Pipeline.execute

    def reply_lost(self: redis.client.Pipeline, raise_on_error: bool = True) -> Any:
        execute(self, raise_on_error=raise_on_error)
        raise redis.exceptions.ConnectionError("connection reset by peer")

    monkeypatch.setattr(redis.client.Pipeline, "execute", reply_lost)
    # when a batch is published, the broker is reported away
    with pytest.raises(BrokerUnavailable, match="connection reset"):
        enqueue_batch(broker, recorder.batch(3))


@pytest.mark.rabbitmq
def test_rabbitmq_a_batch_is_confirmed_once_and_consumed_by_a_worker() -> None:
    with rabbitmq_vhost() as url:
        broker = make_broker(url)
        try:
            # given 12 messages over two queues, two of them delayed
            recorder = Recorder(broker)
            sent_at = time.time()
            # when they are published as one transaction
            assert enqueue_batch(broker, recorder.batch(12, delayed=2)) == [None] * 12
            # then RabbitMQ holds them (tx.commit-ok came back: it took them all)
            assert rabbitmq_queue_depth(url, QUEUE) + rabbitmq_queue_depth(url, OTHER_QUEUE) == 10
            # and a plain Dramatiq worker consumes each once, the delayed ones after the delay
            with running_worker(broker):
                wait_until(lambda: recorder.all_seen_once(12), timeout=30, message="not consumed")
            for n in (10, 11):
                assert recorder.seen[f"value-{n}"][0] >= sent_at + DELAY_MS / 1000 - 0.05
        finally:
            broker.close()


@pytest.mark.rabbitmq
def test_rabbitmq_a_queue_deleted_behind_the_brokers_back_is_an_outage_then_declared_again() -> (
    None
):
    with rabbitmq_vhost() as url:
        broker = make_broker(url)
        try:
            recorder = Recorder(broker)
            assert enqueue_batch(broker, recorder.batch(2)) == [None, None]
            # given the second queue is deleted by someone else
            _delete_queue(url, OTHER_QUEUE)
            # when a batch for both queues is published, the broker is reported away
            with pytest.raises(BrokerUnavailable):
                enqueue_batch(broker, recorder.batch(2))
            # then the next batch declares the queue again and is published
            assert enqueue_batch(broker, recorder.batch(2)) == [None, None]
            assert rabbitmq_queue_depth(url, OTHER_QUEUE) == 1
        finally:
            broker.close()


def _delete_queue(url: str, queue: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().queue_delete(queue=queue)
    finally:
        connection.close()
