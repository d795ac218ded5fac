"""Why a server did not serve us at start: a short reason, and whether waiting can mend it.

A failed libpq connection carries no SQLSTATE, so its text is never parsed for a reason:
libpq's own ping says whether a server is there and takes sessions (it needs no valid
login), the error's class (or a socket of our own) says why nothing answered, and when
the server is up but refused our session, its maintenance database says whether ours
exists. ``workers/start_check.py`` uses ``network_reason`` for the broker too.
"""

from __future__ import annotations

import math
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL

from db.errors import first_line
from db.urls import libpq_url

DEFAULT_PORT = 5432
# libpq waits at least 2 s for a connection, whatever connect_timeout says.
LIBPQ_MIN_TIMEOUT_SECONDS = 2
# sslmode values with which libpq refuses to go on without TLS.
TLS_REQUIRED = frozenset({"require", "verify-ca", "verify-full"})
# Where the maintenance database is asked whether ours exists.
MAINTENANCE_DATABASES = ("postgres", "template1")


@dataclass(frozen=True)
class Refusal:
    """Why a server did not serve us."""

    why: str
    # The server's or driver's own words, where they say more than ``why``.
    detail: str | None = None
    # Waiting cannot mend it (a refused login, a missing database, TLS): stop at once.
    lasting: bool = False

    def __str__(self) -> str:
        return f"{self.why} ({self.detail})" if self.detail else self.why


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: its cause, its context, exceptions among its args, and
    pika's wrapped ``exception`` / ``exceptions`` (where it keeps the socket's error)."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        wrapped = [*current.args, getattr(current, "exception", None)]
        wrapped += list(getattr(current, "exceptions", None) or ())
        pending += [e for e in wrapped if isinstance(e, BaseException)]


def network_reason(exc: BaseException) -> Refusal | None:
    """The reason a standard-library network error in ``exc``'s chain gives, by its class."""
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return Refusal("TLS failed", first_line(cause), lasting=True)
        if isinstance(cause, socket.gaierror):
            # A name a container's DNS does not know yet may come: waited for.
            return Refusal("unknown host", first_line(cause))
        if isinstance(cause, ConnectionRefusedError):
            return Refusal("connection refused")
        if isinstance(cause, FileNotFoundError):
            return Refusal("no such socket", first_line(cause))
        if isinstance(cause, TimeoutError):
            return Refusal("no answer in time")
    for cause in causes(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return Refusal(cause.strerror.lower())
    return None


def database_refusal(url: URL, timeout: float) -> Refusal | None:
    """None when the database at ``url`` takes a session and answers; else why not."""
    seconds = max(LIBPQ_MIN_TIMEOUT_SECONDS, math.ceil(timeout))
    conninfo = libpq_url(url)
    try:
        with psycopg.connect(conninfo, connect_timeout=seconds, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        failure = exc
    detail = first_line(failure).removeprefix("connection failed: ")
    ping = pq.PGconn.ping(make_conninfo(conninfo, connect_timeout=seconds).encode())
    if ping == pq.Ping.REJECT:
        return Refusal("the server is starting up or shutting down")
    if ping == pq.Ping.OK:
        return _session_refusal(url, detail, seconds)
    found = network_reason(failure) or _socket_reason(conninfo, seconds)
    if found is not None:
        return found
    if conninfo_to_dict(conninfo).get("sslmode") in TLS_REQUIRED:
        # The port answers, the TLS handshake did not get through.
        return Refusal("TLS failed", detail, lasting=True)
    return Refusal("no PostgreSQL answer", detail)


def _socket_reason(conninfo: str, seconds: int) -> Refusal | None:
    """Why the server's address does not take a connection, from the socket error's class;
    None when it does (the server answers there, but not as libpq wanted)."""
    params = conninfo_to_dict(conninfo)
    host = str(params.get("host") or "").split(",")[0]
    port = int(str(params.get("port") or DEFAULT_PORT).split(",")[0])
    try:
        if not host or host.startswith("/"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(seconds)
                sock.connect(f"{host or '/var/run/postgresql'}/.s.PGSQL.{port}")
        else:
            socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        return network_reason(exc)
    return None


def _session_refusal(url: URL, detail: str, seconds: int) -> Refusal:
    """The server is up and took no session of ours: no such database, or a refused login
    (the maintenance database, asked with the same login, tells them apart)."""
    for maintenance in MAINTENANCE_DATABASES:
        if maintenance == url.database:
            continue
        try:
            with psycopg.connect(
                libpq_url(url.set(database=maintenance)), connect_timeout=seconds, autocommit=True
            ) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
                ).fetchone()
        except psycopg.Error:
            continue
        if exists is None:
            return Refusal(f"no such database {url.database!r}", lasting=True)
        # There, but not for us: pg_hba.conf or the CONNECT privilege.
        return Refusal("the server refused the session", detail, lasting=True)
    return Refusal("login refused", detail, lasting=True)
