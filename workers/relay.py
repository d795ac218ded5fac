"""The outbox relay: move outbox rows to the broker, each row at least once, marked once.

One pass (``run_once``) rescues rows whose relay died (every few seconds, not on every
pass), claims a batch, publishes it as one batch, then in ONE statement marks what was
published and moves those submissions pending -> queued with their 'queued' events, and
puts back (or fails) what was not. Only ``BrokerUnavailable`` is retried; a row whose
message cannot be built, or that the broker refuses for any other reason, is poison and
fails at once, together with its submission (BAD_INPUT) in the same transaction. The
messages and their batch publish are ``workers/relay_messages.py``. The
duty loop (``workers/duty_loop.py``) runs it.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dramatiq
import structlog
from sqlalchemy.orm import Session, sessionmaker

from db.outbox import (
    ClaimedRow,
    PublishFailure,
    outbox_claim_batch,
    outbox_mark_published_and_queue,
    outbox_release_failed,
    outbox_rescue_expired,
)
from db.session import transaction
from db.submissions import submission_event_append, submission_transition
from domain.enums import OutboxStatus, SubmissionStatus
from domain.errors import BrokerUnavailable
from domain.events import EventKind
from domain.failures import BAD_INPUT
from workers import metrics
from workers.broker import broker_check
from workers.relay_messages import message_for, publish_rows

log = structlog.get_logger("vstep.relay")


@dataclass(frozen=True)
class RelaySettings:
    batch_size: int = 200
    lease_seconds: float = 60.0
    max_attempts: int = 10
    poll_seconds: float = 1.0
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 300.0
    # The longest a pass goes without also taking back expired leases (seconds): a dead
    # relay's rows wait out the lease anyway, so looking on every pass (a transaction of
    # its own) buys nothing under load.
    rescue_interval_seconds: float = 5.0

    @property
    def rescue_every(self) -> timedelta:
        """At most half the lease, so a short lease is not stretched by the interval."""
        return timedelta(seconds=min(self.rescue_interval_seconds, self.lease_seconds / 2))


def new_relay_id() -> str:
    """Host, pid and a random suffix: unique even when a pid is reused."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Relay:
    """The relay as a duty: ``run_once`` is one pass, run by the duty loop.

    Its transactions (rescue, claim, mark and release) commit without waiting for the WAL
    flush. Each one is redone when a database crash undoes it: an undone claim leaves its
    rows pending, an undone mark leaves them processing until the lease runs out; either
    way they are published again, and consumers dedup on the message id. What must be
    durable, the outbox row itself, is committed by the producer; and the broker keeps its
    messages no more durably than this (Redis, as usually run, fsyncs once a second at best).
    """

    name = "relay"

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        broker: dramatiq.Broker,
        settings: RelaySettings,
        relay_id: str | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.broker = broker
        self.settings = settings
        self.relay_id = relay_id or new_relay_id()
        self.log = log.bind(relay_id=self.relay_id)
        # Set when the broker refused a row: until it answers again, no row is claimed,
        # so an outage spends nobody's OUTBOX_MAX_ATTEMPTS.
        self.broker_down = False
        # When this relay last looked for expired leases (the pass's clock), None: never.
        self.rescued_at: datetime | None = None
        self.more_waiting = False

    @property
    def interval_seconds(self) -> float:
        return self.settings.poll_seconds

    def run_once(self, now: datetime | None = None) -> int:
        """One pass; returns the number of rows claimed.

        Any pass that found a row sets ``more_waiting``: while this relay is busy,
        producers skip their NOTIFY (migration 0005), so more may have come meanwhile
        unannounced. Only a pass that finds nothing lets the relay go idle, which makes
        producers notify again.

        Raises BrokerUnavailable after recording the pass when the broker refused a row,
        so the loop backs off and reports the outage once.
        """
        self.more_waiting = False
        self.rescue_if_due(now)
        if self.broker_down:
            broker_check(self.broker)
            self.broker_down = False
        with transaction(self.session_factory, durable=False) as session:
            claimed = outbox_claim_batch(
                session,
                relay_id=self.relay_id,
                limit=self.settings.batch_size,
                backoff_base_seconds=self.settings.backoff_base_seconds,
                backoff_cap_seconds=self.settings.backoff_cap_seconds,
                now=now,
            )
        if not claimed:
            return 0
        self.more_waiting = True
        published, failures = self.publish(claimed)
        self.record(claimed, published, failures, now)
        outage = next((f.error for f in failures if not f.permanent), None)
        if outage is not None:
            self.broker_down = True
            raise BrokerUnavailable(outage)
        return len(claimed)

    def rescue_if_due(self, now: datetime | None = None) -> int:
        """Rescue expired leases when ``rescue_every`` has passed since the last look."""
        # This host's clock is fine here: it only spaces this relay's own looks, and the
        # rescue itself compares leases with the database's clock.
        clock = now or datetime.now(UTC)
        last = self.rescued_at
        # A clock that went back counts as due: the interval is a bound, never a promise.
        if last is not None and last <= clock < last + self.settings.rescue_every:
            return 0
        rescued = self.rescue_expired(now)
        self.rescued_at = clock
        return rescued

    def rescue_expired(self, now: datetime | None = None) -> int:
        with transaction(self.session_factory, durable=False) as session:
            rescued = outbox_rescue_expired(
                session, lease_seconds=self.settings.lease_seconds, now=now
            )
        for outbox_id, old_relay in rescued:
            self.log.warning("outbox_lease_expired", outbox_id=str(outbox_id), held_by=old_relay)
        return len(rescued)

    def publish(self, rows: list[ClaimedRow]) -> tuple[list[ClaimedRow], list[PublishFailure]]:
        """Publish the rows as one batch (``workers/relay_messages.py``)."""
        return publish_rows(self.broker, rows)

    # The message of a row, or InvalidInput when the row is poison.
    message_for = staticmethod(message_for)

    def record(
        self,
        claimed: list[ClaimedRow],
        published: list[ClaimedRow],
        failures: list[PublishFailure],
        now: datetime | None,
    ) -> None:
        by_id = {row.id: row for row in claimed}
        errors = {failure.id: failure.error for failure in failures}
        poison = {failure.id for failure in failures if failure.permanent}
        with transaction(self.session_factory, durable=False) as session:
            marked = outbox_mark_published_and_queue(
                session, relay_id=self.relay_id, ids=[row.id for row in published], now=now
            )
            released = outbox_release_failed(
                session,
                relay_id=self.relay_id,
                failures=failures,
                max_attempts=self.settings.max_attempts,
            )
            for outbox_id, submission_id, status, attempts in released:
                if status == OutboxStatus.FAILED:
                    submission_event_append(
                        session,
                        submission_id=submission_id,
                        kind=EventKind.OUTBOX_FAILED,
                        data={
                            "outboxId": str(outbox_id),
                            "error": errors[outbox_id],
                            "attempts": attempts,
                            "relayId": self.relay_id,
                        },
                    )
                    if outbox_id in poison:
                        # The message can never be delivered: say so on the submission
                        # rather than leave it pending until its deadline.
                        submission_transition(
                            session,
                            id=submission_id,
                            to=SubmissionStatus.FAILED,
                            data={
                                "failureReason": BAD_INPUT,
                                "attemptsMade": 0,
                                "lastError": errors[outbox_id],
                                "outboxId": str(outbox_id),
                            },
                        )
        self.log_outcome(by_id, marked, released, errors, len(published))

    def log_outcome(
        self,
        by_id: dict[uuid.UUID, ClaimedRow],
        marked: list[tuple[uuid.UUID, uuid.UUID]],
        released: list[tuple[uuid.UUID, uuid.UUID, OutboxStatus, int]],
        errors: dict[uuid.UUID, str],
        published_count: int,
    ) -> None:
        for outbox_id, submission_id in marked:
            payload = by_id[outbox_id].payload
            self.log.debug(
                "outbox_row_published",
                outbox_id=str(outbox_id),
                message_id=str(outbox_id),
                submission_id=str(submission_id),
                request_id=payload.get("requestId"),
                trace_id=payload.get("traceId"),
            )
        if len(marked) < published_count:
            # Published, but another relay took the rows over: consumers dedup the copies.
            self.log.warning("outbox_lease_lost", rows=published_count - len(marked))
        for outbox_id, submission_id, status, attempts in released:
            payload = by_id[outbox_id].payload
            # A backoff is part of an outage the loop reports once; a failed row is news.
            log_method = self.log.error if status == OutboxStatus.FAILED else self.log.debug
            log_method(
                "outbox_row_failed" if status == OutboxStatus.FAILED else "outbox_row_backoff",
                outbox_id=str(outbox_id),
                submission_id=str(submission_id),
                request_id=payload.get("requestId") if isinstance(payload, dict) else None,
                trace_id=payload.get("traceId") if isinstance(payload, dict) else None,
                attempts=attempts,
                error=errors[outbox_id],
            )
        metrics.OUTBOX_PUBLISHED.inc(len(marked))
        metrics.OUTBOX_FAILED.inc(sum(1 for r in released if r[2] == OutboxStatus.FAILED))
        if marked:
            self.log.info("outbox_batch_published", rows=len(marked))
