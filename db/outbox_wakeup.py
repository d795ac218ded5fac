"""How a relay tells producers it is idle, so that only then do they NOTIFY (migration 0005).

An idle relay holds the idle lock exclusively on its LISTEN connection (a session lock:
it goes with the connection); the outbox trigger notifies only when it cannot take the
lock shared, and otherwise holds it shared until its transaction ends. Taking the lock
therefore waits for every producer that skipped its NOTIFY to commit or roll back, and
the relay's pass after that sees their rows.
"""

from __future__ import annotations

import enum
from typing import Any

import psycopg
import psycopg.errors

# The channel the outbox triggers notify (migrations 0003 and 0005).
OUTBOX_CHANNEL = "vstep_outbox"
# LISTEN on that channel, written whole (a unit test compares the name). Not a named Sql
# statement: LISTEN cannot be prepared, and it runs on the relay's own psycopg connection.
LISTEN_OUTBOX = "LISTEN vstep_outbox"
# The idle relays' advisory lock, as migration 0005's trigger tries it.
IDLE_LOCK_KEYS = (0x76737467, 1)
# Under a millisecond a lock_timeout would round to 0, which means: wait forever.
MIN_LOCK_WAIT_MS = 1

Connection = psycopg.Connection[Any]


class Registration(enum.Enum):
    """What came of a relay's try to register as idle."""

    # This relay holds the lock: producers notify from now on.
    REGISTERED = "registered"
    # Another relay holds it: producers notify, and every listener hears it.
    ANOTHER_RELAY_IDLE = "another_relay_idle"
    # Producers that skipped NOTIFY were still in their transactions when the wait ran out
    # (or another relay took the lock meanwhile; the next try tells).
    PRODUCERS_IN_FLIGHT = "producers_in_flight"


def outbox_idle_register(conn: Connection, *, wait_seconds: float) -> Registration:
    """Take the idle lock on ``conn`` (autocommit), waiting at most ``wait_seconds`` for
    producers that hold it shared; then LISTEN, so no NOTIFY sent from now on is missed."""
    classid, objid = IDLE_LOCK_KEYS
    # pg_locks is read only when the try failed: who holds the lock decides what next.
    taken, other_relay = conn.execute(
        """
        SELECT taken, CASE WHEN taken THEN false ELSE EXISTS (
                   SELECT 1 FROM pg_locks
                   WHERE locktype = 'advisory' AND objsubid = 2
                     AND classid = %(classid)s AND objid = %(objid)s
                     AND database = (SELECT oid FROM pg_database
                                     WHERE datname = current_database())
                     AND mode = 'ExclusiveLock' AND granted
                     AND pid <> pg_backend_pid()) END
        FROM (SELECT pg_try_advisory_lock(%(classid)s, %(objid)s) AS taken) AS try
        """,
        {"classid": classid, "objid": objid},
    ).fetchone() or (False, False)
    if not taken:
        if other_relay:
            return Registration.ANOTHER_RELAY_IDLE
        wait_ms = max(MIN_LOCK_WAIT_MS, int(wait_seconds * 1000))
        try:
            # In the line for the lock, this relay already makes new producers notify;
            # lock_timeout is local to this statement's own transaction.
            conn.execute(
                "SELECT pg_advisory_lock(%(classid)s, %(objid)s)"
                " FROM (SELECT set_config('lock_timeout', %(wait)s, true)) AS timeout",
                {"classid": classid, "objid": objid, "wait": f"{wait_ms}ms"},
            )
        except psycopg.errors.LockNotAvailable:
            return Registration.PRODUCERS_IN_FLIGHT
    # LISTEN again, last: a no-op on a connection that already listens, and it leaves
    # the LISTEN as what pg_stat_activity shows this idle connection doing.
    conn.execute(LISTEN_OUTBOX)
    return Registration.REGISTERED


def outbox_idle_unregister(conn: Connection) -> None:
    """Give the idle lock back: this relay is busy, producers stop notifying."""
    classid, objid = IDLE_LOCK_KEYS
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (classid, objid))
