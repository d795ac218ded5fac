"""What the relay's batch publish (workers/broker_batch.py) takes from Dramatiq beyond its API.

The batch writes most messages itself, as Dramatiq's own ``enqueue`` would: on Redis the
message copy of ``RedisBroker.enqueue`` stored under the key layout of its dispatch
script; on RabbitMQ the publish of ``RabbitmqBroker.enqueue`` in a transaction. Those are
Dramatiq's internals, so pyproject.toml pins the minor release they were checked against,
and these tests fail on any release whose code for them differs, before a relay could
write messages a worker cannot read. The behaviour itself (stock workers consume a batch;
the batch stores what ``enqueue`` stores) is tested in tests/integration/test_broker_batch.py.
"""

from __future__ import annotations

import hashlib
import inspect
from importlib.metadata import version

from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

TESTED_MINOR = "2.2"
# SHA-1 of the dispatch script as Redis names it (EVALSHA): its "enqueue" command is the
# HSET into "<namespace>:<queue>.msgs" and the RPUSH onto "<namespace>:<queue>" that the
# batch repeats for every message after a queue's first.
DISPATCH_SCRIPT_SHA1 = "fdacc359c79a5adc3b8eeb53ff5772d7c42144e3"
# SHA-256 of the source of each broker's enqueue: the copy the batch makes (a fresh
# redis_message_id; a delayed message on the ".DQ" queue with its eta) and the publish
# it makes (persistent, the message's broker_priority, to the default exchange).
ENQUEUE_SOURCE_SHA256 = {
    RedisBroker: "e1590deaae2f786a112a39bbea6003e910489c7e69f3bc227fca16a2d898e9ee",
    RabbitmqBroker: "a7574e9c5c067d0a7c0ae2b00b62c0b8768261af3d9ad8c34245e298aece78a0",
}
RECHECK = (
    "Dramatiq {found}: its {what} is not the one workers/broker_batch.py's batch publish was "
    "checked against; compare it with _redis_enqueue_batch / _rabbitmq_enqueue_batch, "
    "adapt them, run tests/integration/test_broker_batch.py, then update this test and the pin"
)


def test_the_installed_dramatiq_is_the_tested_minor_release() -> None:
    installed = version("dramatiq")
    assert installed.split(".")[:2] == TESTED_MINOR.split("."), RECHECK.format(
        found=installed, what="release"
    )


def test_the_redis_dispatch_script_is_the_one_the_batch_repeats() -> None:
    # No connection is made: the broker only registers its scripts.
    broker = RedisBroker(url="redis://127.0.0.1:1/0")
    try:
        sha = broker.scripts["dispatch"].sha
    finally:
        broker.client.close()
    assert sha == DISPATCH_SCRIPT_SHA1, RECHECK.format(
        found=version("dramatiq"), what="dispatch.lua ('enqueue' and the key names)"
    )


def test_each_brokers_enqueue_is_the_one_the_batch_repeats() -> None:
    found = {
        broker: hashlib.sha256(inspect.getsource(broker.enqueue).encode()).hexdigest()
        for broker in ENQUEUE_SOURCE_SHA256
    }
    for broker, sha in ENQUEUE_SOURCE_SHA256.items():
        assert found[broker] == sha, RECHECK.format(
            found=version("dramatiq"), what=f"{broker.__name__}.enqueue"
        )
