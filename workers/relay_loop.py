"""The relay's wake-up: LISTEN on the outbox channel, so the duty loop sleeps until an insert.

Producers notify only while a relay is idle (migration 0005, ``db/outbox_wakeup.py``): the
listener registers as idle before it waits and makes the loop pass once more, and gives
the registration back when a NOTIFY wakes it.
"""

from __future__ import annotations

import threading

import psycopg

from db.errors import translate
from db.outbox_wakeup import (
    LISTEN_OUTBOX,
    OUTBOX_CHANNEL,
    Registration,
    outbox_idle_register,
    outbox_idle_unregister,
)
from workers.duty_loop import DutyLoop
from workers.relay import Relay

__all__ = ["OUTBOX_CHANNEL", "OutboxListener", "run_relay"]

# The longest the LISTEN connection may take to open: a dead server must not hang the loop.
CONNECT_TIMEOUT_SECONDS = 5


class OutboxListener:
    """A LISTEN connection, reopened after a loss; polling covers the gap meanwhile."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None
        # Holds the idle lock on ``conn``: producers notify.
        self.idle = False

    def wait(self, timeout: float) -> bool:
        """Block until a notification or ``timeout`` seconds; True when the loop should pass:
        notified, or just registered as idle (one more pass is owed), or not registered
        within ``timeout`` because a producer that skipped its NOTIFY keeps its transaction
        open (a pass now, another try on the next wait). Meanwhile this connection waits
        for the lock, not for notifications: the bound, while such a transaction lasts, is
        that other producers' rows wait up to one wait step (the duty loop's
        STOP_CHECK_SECONDS) instead of milliseconds.

        A connection found lost (the server restarted, the backend was terminated) is
        replaced at once, and the loop is woken to make a pass for whatever was notified
        meanwhile: the database answering again is not a new outage. A refused connection
        raises the domain error (DatabaseUnavailable), so the loop counts it as part of
        the outage instead of logging every reconnect.
        """
        reused = self.conn is not None and not self.conn.closed
        try:
            return self._wait(timeout)
        except psycopg.Error as exc:
            self.close()
            if not reused:
                raise translate(exc, disconnected=True) from exc
        try:
            self.listening()
        except psycopg.Error as exc:
            self.close()
            raise translate(exc, disconnected=True) from exc
        return True

    def _wait(self, timeout: float) -> bool:
        conn = self.listening()
        if not self.idle:
            registration = outbox_idle_register(conn, wait_seconds=timeout)
            if registration is Registration.REGISTERED:
                self.idle = True
                # Every producer that skipped its NOTIFY while this relay was busy has
                # committed or rolled back by now: one more pass finds their rows.
                return True
            if registration is Registration.PRODUCERS_IN_FLIGHT:
                # One of them keeps its transaction open: pass now (its row may be there
                # by then), and try again on the next wait.
                return True
            # Another relay is idle: producers notify, and this connection hears it too.
        notified = False
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            notified = True
        if notified:
            # Drain what queued up meanwhile: one pass serves them all.
            for _ in conn.notifies(timeout=0):
                pass
            if self.idle:
                # Busy from here on: producers stop notifying until this relay is idle again.
                outbox_idle_unregister(conn)
                self.idle = False
        return notified

    def listening(self) -> psycopg.Connection[tuple[object, ...]]:
        """The open connection, LISTENing (opened now if needed)."""
        if self.conn is None or self.conn.closed:
            conn = psycopg.connect(
                self.database_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
            conn.execute(LISTEN_OUTBOX)
            self.conn = conn
            self.idle = False  # the lock went with the old connection
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.idle = False


def run_relay(relay: Relay, *, database_url: str, stop: threading.Event) -> None:
    """Run until ``stop`` is set; the batch in flight is finished before returning."""
    relay.log.info("relay_started", batch_size=relay.settings.batch_size)
    listener = OutboxListener(database_url)
    try:
        # Listen before the first pass so no insert slips between the pass and the wait.
        listener.listening()
    except psycopg.Error:
        listener.close()  # the loop retries it with the outage's backoff
    try:
        DutyLoop([relay], stop, waker=listener, logger=relay.log).run()
    finally:
        relay.log.info("relay_stopped")
