"""The relay's wake-up: LISTEN on the outbox channel, so the duty loop sleeps until an insert."""

from __future__ import annotations

import threading

import psycopg

from db.errors import translate
from workers.duty_loop import DutyLoop
from workers.relay import Relay

# The channel the outbox triggers notify (migration 0003).
OUTBOX_CHANNEL = "vstep_outbox"
# The longest the LISTEN connection may take to open: a dead server must not hang the loop.
CONNECT_TIMEOUT_SECONDS = 5


class OutboxListener:
    """A LISTEN connection, reopened after a loss; polling covers the gap meanwhile."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, timeout: float) -> bool:
        """Block until a notification or ``timeout`` seconds; True when notified.

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
        notified = False
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            notified = True
        if notified:
            # Drain what queued up meanwhile: one pass serves them all.
            for _ in conn.notifies(timeout=0):
                pass
        return notified

    def listening(self) -> psycopg.Connection[tuple[object, ...]]:
        """The open connection, LISTENing (opened now if needed)."""
        if self.conn is None or self.conn.closed:
            conn = psycopg.connect(
                self.database_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
            conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
            self.conn = conn
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


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
