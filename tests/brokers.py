"""A RabbitMQ virtual host of the test's own, made and removed with rabbitmqctl."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pika
import pytest

from devtools.devenv import port_answers

RABBITMQ_PORT = 5672


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """Yield an amqp:// URL of a fresh vhost; skip when no RabbitMQ answers here."""
    ctl = shutil.which("rabbitmqctl")
    if not port_answers("127.0.0.1", RABBITMQ_PORT) or ctl is None:
        pytest.skip("no RabbitMQ server (or rabbitmqctl) on this machine")
    vhost = f"vstep-test-{uuid.uuid4().hex[:10]}"

    def ctl_run(*args: str) -> None:
        subprocess.run([ctl, *args], check=True, capture_output=True, timeout=60)

    ctl_run("add_vhost", vhost)
    try:
        ctl_run("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/{vhost}"
    finally:
        ctl_run("delete_vhost", vhost)


def rabbitmq_queue_depth(url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        declared = connection.channel().queue_declare(queue=queue, passive=True)
        return int(declared.method.message_count)
    finally:
        connection.close()
