"""The one start check of every process: the database and the broker answer, or one line
says which did not and why, and the process exits 1.

What may come by itself (a refused connection, no answer, a server starting up) is waited
for, up to START_WAIT_SECONDS; what waiting cannot mend (a refused login, no such
database, virtual host or DB index, TLS) ends the wait at once. Reasons come from the
errors' classes (``db/reachability.py`` for the database and for sockets), never their
text. After start, outages are the processes' own business (they wait them out).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import pika
import pika.exceptions
import redis
import redis.connection
import redis.exceptions

from db.reachability import Refusal, causes, database_refusal, network_reason
from db.urls import parse_database_url, safe_url
from domain.errors import BrokerUnavailable, DatabaseUnavailable, InfrastructureError

# How long one attempt may take, and the pause between attempts.
ATTEMPT_TIMEOUT_SECONDS = 5.0
PAUSE_SECONDS = 1.0
# Libraries that log a failed connection with its traceback: quiet while we judge it.
NOISY_LOGGERS = ("pika", "dramatiq")


def wait_for_services(database_url: str | None, broker_url: str | None, wait: float) -> None:
    """Return once the database and the broker (those given) answer; else
    DatabaseUnavailable or BrokerUnavailable with one line naming the server, its URL
    (password masked) and why."""
    checks: list[_Check] = []
    if database_url is not None:
        url = parse_database_url(database_url)
        checks.append(
            _Check("database", safe_url(url), partial(database_refusal, url), DatabaseUnavailable)
        )
    if broker_url is not None:
        checks.append(
            _Check(
                "broker",
                safe_url(broker_url),
                partial(broker_refusal, broker_url),
                BrokerUnavailable,
            )
        )
    give_up = time.monotonic() + wait
    with _quiet(NOISY_LOGGERS):
        for check in checks:
            while True:
                remaining = give_up - time.monotonic()
                refusal = check.refusal(min(ATTEMPT_TIMEOUT_SECONDS, max(remaining, 1.0)))
                if refusal is None:
                    break
                if refusal.lasting:
                    raise check.error(f"{check.name} {check.shown}: {refusal}")
                if time.monotonic() + PAUSE_SECONDS > give_up:
                    raise check.error(
                        f"{check.name} {check.shown} did not answer within {wait:g} s: {refusal}"
                    )
                time.sleep(PAUSE_SECONDS)


@dataclass(frozen=True)
class _Check:
    name: str
    shown: str
    # Why the server does not serve us now (None: it does), given a time limit in seconds.
    refusal: Callable[[float], Refusal | None]
    error: type[InfrastructureError]


def broker_refusal(url: str, timeout: float) -> Refusal | None:
    """None when the broker at ``url`` takes a connection and answers; else why not."""
    try:
        if url.startswith(("amqp://", "amqps://")):
            params = pika.URLParameters(url)
            params.connection_attempts = 1
            params.socket_timeout = timeout
            params.stack_timeout = timeout
            pika.BlockingConnection(params).close()
        else:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            try:
                client.ping()
            finally:
                client.close()
    except Exception as exc:  # every failure is a reason not to start; judged by class
        return _broker_reason(url, exc)
    return None


def _broker_reason(url: str, exc: Exception) -> Refusal:
    said = _first_line(exc)
    for cause in causes(exc):
        if isinstance(
            cause,
            redis.exceptions.AuthenticationError
            | pika.exceptions.ProbableAuthenticationError
            | pika.exceptions.AuthenticationError,
        ):
            return Refusal("login refused", said, lasting=True)
        if isinstance(cause, pika.exceptions.ProbableAccessDeniedError):
            vhost = pika.URLParameters(url).virtual_host
            why = f"no such virtual host {vhost!r}, or no access to it"
            return Refusal(why, said, lasting=True)
        if isinstance(cause, redis.exceptions.NoPermissionError):
            return Refusal("no permission", said, lasting=True)
        if isinstance(cause, redis.exceptions.ResponseError):
            # Refused during the connection's handshake, whose only command that a login
            # that passed can fail is SELECT of the URL's database.
            database = redis.connection.parse_url(url).get("db", 0)  # type: ignore[no-untyped-call]
            return Refusal(f"no such DB index {database}", said, lasting=True)
    return network_reason(exc) or Refusal("no answer", said)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


@contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """Nothing logged by these loggers or their children (whose level is their parent's)."""
    loggers = [logging.getLogger(name) for name in names]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)
