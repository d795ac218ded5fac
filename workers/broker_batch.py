"""The relay's batch publish: many messages on the broker in one round trip, written as
the broker's own ``enqueue`` writes each (``workers/broker.py`` builds the broker)."""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Sequence
from typing import Any

import dramatiq
import pika
import pika.exceptions
import redis
import redis.exceptions
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, dq_name, q_name

from domain.errors import BrokerUnavailable
from workers.broker import UNAVAILABLE, broker_errors, enqueue

# A message to publish and how long the broker should hold it (milliseconds), or None.
Outgoing = tuple[dramatiq.Message[Any], int | None]


def enqueue_batch(broker: dramatiq.Broker, batch: Sequence[Outgoing]) -> list[Exception | None]:
    """Put every message of ``batch`` on the broker in one pipeline (Redis) or one confirmed
    transaction (RabbitMQ), writing what ``broker.enqueue`` writes for each.

    Returns, per message, None when it is on the broker, or the error the broker (or a
    middleware hook) refused that message alone with. Raises BrokerUnavailable when the
    broker is away: then no message of the batch counts as published, though some may have
    reached the broker (consumers dedup on the message id, so publishing them again is safe).
    """
    # Only Dramatiq's own enqueue is reproduced; a broker that overrides it (a stub, a
    # subclass with other semantics) is honoured by calling it once per message.
    enqueue_impl = type(broker).enqueue
    with broker_errors():
        if enqueue_impl is RedisBroker.enqueue:
            return _redis_enqueue_batch(broker, batch)
        if enqueue_impl is RabbitmqBroker.enqueue:
            return _rabbitmq_enqueue_batch(broker, batch)
    outcomes: list[Exception | None] = []
    for message, delay_ms in batch:
        try:
            enqueue(broker, message, delay_ms=delay_ms)
        except BrokerUnavailable:
            raise
        except Exception as exc:
            outcomes.append(exc)
        else:
            outcomes.append(None)
    return outcomes


def _redis_enqueue_batch(broker: RedisBroker, batch: Sequence[Outgoing]) -> list[Exception | None]:
    """RedisBroker.enqueue for many messages: the first of each queue through it, the rest
    in one MULTI/EXEC pipeline.

    The first message of each queue is the broker's own ``enqueue`` (its dispatch script:
    the heartbeat and the chance of queue maintenance, as on any broker command). The rest
    get the copy and the middleware hooks of that ``enqueue`` and then what its script
    writes for them: the message under its redis_message_id in the queue's ``.msgs`` hash
    and the id pushed on the queue's list (``.DQ`` for a delayed one), one HSET and one
    RPUSH for all of them. MULTI/EXEC keeps the hash and the list in step: a pipeline cut
    short leaves no message half written. That key layout and message copy are Dramatiq's
    Redis broker's, not its API: hence the pin in pyproject.toml and the contract tests
    (tests/unit/test_dramatiq_contract.py, tests/integration/test_broker_batch.py).
    """
    outcomes: list[Exception | None] = [None] * len(batch)
    by_queue: dict[str, list[tuple[int, dramatiq.Message[Any], int | None, bytes]]] = {}
    for index, (message, delay_ms) in enumerate(batch):
        delay = delay_ms or None
        queue_name = dq_name(message.queue_name) if delay is not None else message.queue_name
        try:
            if queue_name not in by_queue:
                broker.enqueue(message, delay=delay)
                by_queue[queue_name] = []
                continue
            copy, delay, data = _delivery(broker, message, delay, redis_message_id=True)
        except UNAVAILABLE:
            raise
        except Exception as exc:  # this message alone cannot be sent
            outcomes[index] = exc
            continue
        by_queue[queue_name].append((index, copy, delay, data))
    rest = {queue_name: items for queue_name, items in by_queue.items() if items}
    if not rest:
        return outcomes
    # The messages each queued command writes, in the order of the replies.
    covers: list[list[tuple[int, dramatiq.Message[Any], int | None, bytes]]] = []
    with broker.client.pipeline(transaction=True) as pipe:
        for queue_name, items in rest.items():
            key = f"{broker.namespace}:{queue_name}"
            ids = [copy.options["redis_message_id"] for _, copy, _, _ in items]
            pipe.hset(f"{key}.msgs", mapping=dict(zip(ids, [d for *_, d in items], strict=True)))
            pipe.rpush(key, *ids)
            covers += [items, items]
        try:
            replies: list[Any] = pipe.execute(raise_on_error=False)
        except redis.exceptions.ResponseError as exc:
            # Refused while queueing (EXECABORT: out of memory, say), so nothing ran. An
            # outage stays an outage; anything else refuses every message, as the broker's
            # enqueue would have refused each one.
            if isinstance(exc, UNAVAILABLE):
                raise
            replies = [exc] * len(covers)
    for reply in replies:
        if isinstance(reply, UNAVAILABLE):
            raise reply
    for reply, items in zip(replies, covers, strict=True):
        if isinstance(reply, Exception):
            for index, *_ in items:
                outcomes[index] = outcomes[index] or reply
    for items in rest.values():
        for index, copy, delay, _ in items:
            if outcomes[index] is None:
                broker.emit_after("enqueue", copy, delay)
    return outcomes


def _delivery(
    broker: dramatiq.Broker,
    message: dramatiq.Message[Any],
    delay_ms: int | None,
    *,
    redis_message_id: bool,
) -> tuple[dramatiq.Message[Any], int | None, bytes]:
    """(copy, delay, encoded copy) of a message as the broker's enqueue sends it, its
    before-enqueue hooks run: a per-copy id for Redis, and a delayed message on the delay
    queue with its eta. Raises what a hook or the encoder raises for this message."""
    delay = delay_ms or None
    copy = _delivery_copy(message, delay, redis_message_id=redis_message_id)
    broker.emit_before("enqueue", copy, delay)
    return copy, delay, copy.encode()


def _delivery_copy(
    message: dramatiq.Message[Any], delay: int | None, *, redis_message_id: bool
) -> dramatiq.Message[Any]:
    if redis_message_id:
        message = message.copy(options={"redis_message_id": str(uuid.uuid4())})
    if delay is not None:
        message = message.copy(
            queue_name=dq_name(message.queue_name),
            options={"eta": current_millis() + delay},
        )
    return message


# One transactional channel per (thread, broker): Dramatiq's own channel is in confirm mode,
# and AMQP does not allow a channel in confirm mode to become transactional.
_tx_channels = threading.local()


class _TxChannel:
    """A channel in AMQP transaction mode on the broker's connection of this thread."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.channel = connection.channel()
        self.channel.tx_select()
        self.returned: list[str] = []
        self.channel.add_on_return_callback(
            lambda _channel, method, _properties, _body: self.returned.append(method.routing_key)
        )

    @property
    def usable(self) -> bool:
        return bool(self.connection.is_open and self.channel.is_open)


def _tx_channel(broker: RabbitmqBroker) -> _TxChannel:
    channels: weakref.WeakKeyDictionary[RabbitmqBroker, _TxChannel] | None = getattr(
        _tx_channels, "by_broker", None
    )
    if channels is None:
        channels = _tx_channels.by_broker = weakref.WeakKeyDictionary()
    connection = broker.connection
    tx = channels.get(broker)
    if tx is None or tx.connection is not connection or not tx.usable:
        tx = channels[broker] = _TxChannel(connection)
    return tx


def _rabbitmq_enqueue_batch(
    broker: RabbitmqBroker, batch: Sequence[Outgoing]
) -> list[Exception | None]:
    """RabbitmqBroker.enqueue for many messages, confirmed once for the batch.

    Why a transaction rather than publisher confirms: pika's BlockingChannel in confirm mode
    waits for each message's ack before the next publish, a round trip per message. On a
    channel in AMQP tx mode the publishes stream out and tx.commit-ok comes back only once
    RabbitMQ has taken responsibility for every message of the transaction (routed, and
    persisted for these persistent messages on durable queues; its documented tx semantics),
    which is what a confirm of each would say. Unroutable messages come back as basic.return
    before the commit-ok, so they are known when tx_commit returns.
    """
    outcomes: list[Exception | None] = [None] * len(batch)
    sent: list[tuple[int, dramatiq.Message[Any], int | None]] = []
    try:
        for queue_name in {message.queue_name for message, _ in batch}:
            broker.declare_queue(queue_name, ensure=True)
        tx = _tx_channel(broker)
        tx.returned.clear()
        for index, (message, delay_ms) in enumerate(batch):
            try:
                copy, delay, body = _delivery(broker, message, delay_ms, redis_message_id=False)
            except Exception as exc:  # this message alone cannot be sent
                outcomes[index] = exc
                continue
            tx.channel.basic_publish(
                exchange="",
                routing_key=copy.queue_name,
                body=body,
                properties=pika.BasicProperties(
                    delivery_mode=2, priority=copy.options.get("broker_priority")
                ),
                mandatory=True,
            )
            sent.append((index, copy, delay))
        if not sent:
            return outcomes
        tx.channel.tx_commit()
        # The returns arrived before the commit-ok; this hands them to the callback.
        broker.connection.process_data_events(time_limit=0)
    except Exception:
        # Fresh connection and channels for the next batch, as the broker's enqueue does
        # after a connection or channel error; nor may a transaction left open by anything
        # else be committed with the next batch.
        del broker.connection
        raise
    if tx.returned:
        # A queue deleted behind the broker's back: declared again on the next batch.
        for queue_name in tx.returned:
            broker.queues_pending.add(q_name(queue_name))
        raise pika.exceptions.UnroutableError([])
    for _, copy, delay in sent:
        broker.emit_after("enqueue", copy, delay)
    return outcomes
