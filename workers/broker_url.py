"""BROKER_URL: refused at start, in one line, when its broker client could not use it.

Redis and pika parse the URL only when they first connect, and then fail with a bare
ValueError; the same parsers run here first, plus what they would silently default
(no host means localhost, a database that is not a number means database 0).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pika
import redis.connection

from db.urls import hide_password
from domain.errors import InvalidInput

REDIS_SCHEMES = ("redis", "rediss", "unix")
AMQP_SCHEMES = ("amqp", "amqps")


def check_broker_url(raw: str) -> str:
    """``raw`` when it is a usable broker URL; InvalidInput naming BROKER_URL if not."""
    shown = hide_password(raw)
    scheme = raw.partition("://")[0] if "://" in raw else ""
    if scheme not in REDIS_SCHEMES + AMQP_SCHEMES:
        raise InvalidInput(
            "BROKER_URL",
            f"must start with redis://, rediss://, unix://, amqp:// or amqps:// ({shown})",
        )
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0..65535
        if scheme in AMQP_SCHEMES:
            pika.URLParameters(raw)
        else:
            redis.connection.parse_url(raw)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise InvalidInput("BROKER_URL", f"{exc} ({shown})") from None
    if scheme == "unix":
        if not parts.path:
            raise InvalidInput("BROKER_URL", f"names no socket path ({shown})")
        return raw
    if not parts.hostname:
        raise InvalidInput("BROKER_URL", f"names no host ({shown})")
    database = unquote(parts.path).strip("/")
    if scheme in REDIS_SCHEMES and database and not database.isdigit():
        raise InvalidInput("BROKER_URL", f"Redis database {database!r} is not a number ({shown})")
    return raw
