"""Producers notify only while a relay idles (migration 0005), and no row slips through:
one inserted while every relay is busy and committed after the relay's last pass is still
published at once, without waiting for the poll."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from db.outbox_wakeup import (
    IDLE_LOCK_KEYS,
    OUTBOX_CHANNEL,
    Registration,
    outbox_idle_register,
    outbox_idle_unregister,
)
from tests.integration.outbox_seed import outbox_status_counts, seed_pending
from tests.waiting import wait_until
from workers.relay import Relay
from workers.relay_loop import OutboxListener, run_relay

# Only the tests listen here: a marker sent on it wakes no relay.
MARKER_CHANNEL = "vstep_test_marker"
# Far beyond the tests' deadlines: a row published in time was not found by the poll.
POLL_SECONDS = 60


@contextmanager
def connection(db_url: str, *, autocommit: bool = True) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(db_url, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


def listening(db_url: str) -> psycopg.Connection[Any]:
    """A bystander on the outbox channel and on a marker channel no relay listens to."""
    conn = psycopg.connect(db_url, autocommit=True)
    conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
    conn.execute(f"LISTEN {MARKER_CHANNEL}")
    return conn


def notified_before_marker(listener: psycopg.Connection[Any], db_url: str) -> bool:
    """Whether an outbox NOTIFY reaches ``listener`` before a marker sent now: a session
    receives notifications in commit order, whatever their channel."""
    with connection(db_url) as sender:
        sender.execute(f"NOTIFY {MARKER_CHANNEL}")
    for notification in listener.notifies(timeout=10, stop_after=1):
        return notification.channel == OUTBOX_CHANNEL
    raise AssertionError("not even the marker arrived within 10 s")


def drain(listener: psycopg.Connection[Any]) -> None:
    for _ in listener.notifies(timeout=0):
        pass


def idle_lock(engine: Engine) -> tuple[bool, bool]:
    """(held exclusively by someone, someone waiting for it exclusively)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT granted FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                " AND classid = :classid AND objid = :objid AND mode = 'ExclusiveLock'"
            ),
            {"classid": IDLE_LOCK_KEYS[0], "objid": IDLE_LOCK_KEYS[1]},
        ).scalars()
        granted = list(rows)
    return any(granted), not all(granted)


def test_the_trigger_notifies_only_while_a_relay_is_registered_idle(
    engine: Engine, db_url: str
) -> None:
    listener = listening(db_url)
    with listener, connection(db_url) as relay, connection(db_url) as other:
        # given no relay is idle: an insert does not notify
        seed_pending(engine, 1)
        assert not notified_before_marker(listener, db_url)
        # given a relay registered as idle: an insert notifies
        assert outbox_idle_register(relay, wait_seconds=1) is Registration.REGISTERED
        seed_pending(engine, 1)
        assert notified_before_marker(listener, db_url)
        drain(listener)
        # and a second relay finds the first one idle and listens without registering
        assert outbox_idle_register(other, wait_seconds=1) is Registration.ANOTHER_RELAY_IDLE
        # given the relay is busy again: inserts stop notifying
        outbox_idle_unregister(relay)
        seed_pending(engine, 1)
        assert not notified_before_marker(listener, db_url)


def test_registering_waits_for_a_producer_that_skipped_its_notify(
    engine: Engine, db_url: str
) -> None:
    with connection(db_url) as relay, connection(db_url, autocommit=False) as producer:
        # given a producer that inserted while no relay idled, still in its transaction
        producer.execute(
            "INSERT INTO outbox (submission_id, message_type, payload)"
            " VALUES (%s, 'grading.request', '{}')",
            (seed_submission(engine),),
        )
        # when a relay tries to register, it is told to come back
        assert outbox_idle_register(relay, wait_seconds=0.1) is Registration.PRODUCERS_IN_FLIGHT
        # when it tries again and the producer commits while it waits
        registered: list[Registration] = []
        attempt = threading.Thread(
            target=lambda: registered.append(outbox_idle_register(relay, wait_seconds=10))
        )
        attempt.start()
        wait_until(lambda: idle_lock(engine)[1], timeout=5, message="the relay is not waiting")
        producer.commit()
        attempt.join(timeout=10)
        # then the registration went through after the commit, so the row is visible now
        assert registered == [Registration.REGISTERED]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one() == 1


def seed_submission(engine: Engine) -> object:
    """A submission to hang a hand-written outbox row on (its own row is published)."""
    seed_pending(engine, 1)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM outbox"))
        return conn.execute(sa.text("SELECT id FROM submissions")).scalar_one()


class GatedPasses:
    """Wraps a relay's run_once: while ``hold`` is set, a pass waits for ``resume``."""

    def __init__(self, relay: Relay, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hold = threading.Event()
        self.resume = threading.Event()
        self.held = threading.Event()
        self.passes: list[int] = []
        run_once = relay.run_once

        def gated(now: datetime | None = None) -> int:
            if self.hold.is_set():
                self.held.set()
                self.resume.wait(timeout=30)
            handled = run_once(now)
            self.passes.append(handled)
            return handled

        monkeypatch.setattr(relay, "run_once", gated)


def waits_registered(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once the relay, registered idle, waits for a notification: the pass it owes
    right after registering is behind it (a row seeded before that would land in it)."""
    waiting = threading.Event()
    wait = OutboxListener.wait

    def marked(self: OutboxListener, timeout: float) -> bool:
        if self.idle:
            waiting.set()
        return wait(self, timeout)

    monkeypatch.setattr(OutboxListener, "wait", marked)
    return waiting


def test_a_row_committed_after_a_busy_relays_last_pass_is_published_without_the_poll(
    engine: Engine,
    make_relay: Callable[..., Relay],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay = make_relay(poll_seconds=POLL_SECONDS)
    gate = GatedPasses(relay, monkeypatch)
    registered_wait = waits_registered(monkeypatch)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_relay, args=(relay,), kwargs={"database_url": db_url, "stop": stop}
    )
    thread.start()
    try:
        listener = listening(db_url)
        with listener, connection(db_url, autocommit=False) as producer:
            # given the relay idles, registered, past the pass it owes on registering
            wait_until(lambda: idle_lock(engine) == (True, False), timeout=10)
            wait_until(registered_wait.is_set, timeout=10, message="relay not waiting idle")
            # and a row wakes it, into a pass held open: the relay is busy
            gate.hold.set()
            seed_pending(engine, 1)
            wait_until(gate.held.is_set, timeout=10, message="the NOTIFY did not wake the relay")
            wait_until(lambda: idle_lock(engine) == (False, False), timeout=10)
            # when a producer inserts now, it does not notify, and stays in its transaction
            submission = new_pending_submission(engine)
            producer.execute(
                "INSERT INTO outbox (submission_id, message_type, payload)"
                " SELECT id, 'grading.request', jsonb_build_object("
                "  'requestId', request_id, 'submissionId', id, 'userId', user_id,"
                "  'skill', 'reading', 'attempt', 1, 'traceId', 't',"
                "  'deadline', to_char(deadline AT TIME ZONE 'UTC',"
                '                      \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'))'
                " FROM submissions WHERE id = %s",
                (submission,),
            )
            # and the relay finishes its pass, finds nothing more and waits to go idle
            gate.hold.clear()
            gate.resume.set()
            wait_until(lambda: idle_lock(engine)[1], timeout=10, message="relay not waiting")
            drain(listener)
            producer.commit()
            # then the producer's commit sent no NOTIFY
            assert not notified_before_marker(listener, db_url)
            # and its row is published all the same, long before the poll would find it
            wait_until(
                lambda: outbox_status_counts(engine) == {"published": 2},
                timeout=5,
                message="the row committed after the relay's last pass waited for the poll",
            )
    finally:
        stop.set()
        gate.resume.set()
        thread.join(timeout=POLL_SECONDS + 10)
    assert not thread.is_alive()


def new_pending_submission(engine: Engine) -> object:
    """A pending submission like the seeded ones, with no outbox row yet."""
    with engine.begin() as conn:
        return conn.execute(
            sa.text(
                "INSERT INTO submissions (user_id, question_id, skill, request_id, deadline)"
                " SELECT user_id, question_id, 'reading', gen_random_uuid(),"
                "        now() + interval '5 minutes' FROM submissions LIMIT 1 RETURNING id"
            )
        ).scalar_one()
