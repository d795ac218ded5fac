"""The relay's thin loop: run passes while there is work, sleep on LISTEN/NOTIFY otherwise."""

from __future__ import annotations

import threading
import time

import psycopg
import structlog
from sqlalchemy.exc import DBAPIError

from workers.relay import Relay

log = structlog.get_logger("vstep.relay")

# The channel the outbox triggers notify (migration 0003).
OUTBOX_CHANNEL = "vstep_outbox"
# Pause after a failed pass (database down), doubling up to the cap.
ERROR_PAUSE_SECONDS = 0.5
ERROR_PAUSE_CAP_SECONDS = 15.0
# How often a waiting relay looks at its stop flag (SIGTERM is honoured this fast).
STOP_CHECK_SECONDS = 0.25


class OutboxListener:
    """A LISTEN connection; lost connections are reopened, polling covers the gap."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.conn: psycopg.Connection[tuple[object, ...]] | None = None

    def wait(self, timeout: float) -> bool:
        """Block until a notification or ``timeout`` seconds; True when notified."""
        try:
            conn = self._connection()
            notified = False
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                notified = True
            if notified:
                # Drain what queued up meanwhile: one pass serves them all.
                for _ in conn.notifies(timeout=0):
                    pass
            return notified
        except psycopg.Error as exc:
            log.warning("outbox_listen_failed", error=str(exc).strip())
            self.close()
            return False

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
            self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_for_work(listener: OutboxListener, poll_seconds: float, stop: threading.Event) -> None:
    """Until a notification, the poll interval, or a stop request, whichever comes first."""
    deadline = time.monotonic() + poll_seconds
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or listener.wait(min(remaining, STOP_CHECK_SECONDS)):
            return


def run_relay(relay: Relay, *, database_url: str, stop: threading.Event) -> None:
    """Run until ``stop`` is set; the batch in flight is finished before returning."""
    listener = OutboxListener(database_url)
    pause = ERROR_PAUSE_SECONDS
    relay.log.info("relay_started", batch_size=relay.settings.batch_size)
    try:
        # Listen before the first pass so no insert slips between the pass and the wait.
        listener.wait(0)
        while not stop.is_set():
            try:
                claimed = relay.run_once()
            except DBAPIError as exc:
                relay.log.error("relay_pass_failed", error=str(exc.orig or exc).strip()[:500])
                stop.wait(pause)
                pause = min(pause * 2, ERROR_PAUSE_CAP_SECONDS)
                continue
            pause = ERROR_PAUSE_SECONDS
            if claimed < relay.settings.batch_size:
                wait_for_work(listener, relay.settings.poll_seconds, stop)
    finally:
        listener.close()
        relay.log.info("relay_stopped")
