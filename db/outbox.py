"""Named queries of the outbox relay: claim, mark, release, rescue.

Every write after the claim is guarded by ``locked_by``: a relay that lost its lease
(it stalled past OUTBOX_LEASE_SECONDS and another relay took the row) must not
overwrite the other relay's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.models import OutboxRow
from db.models.base import OUTBOX_STATUS
from db.statements import Tx, execute
from domain.enums import OutboxStatus, Skill, SubmissionStatus
from domain.events import TRANSITION_EVENT
from domain.states import allowed_sources, outbox_can_transition

_P = OutboxStatus


def outbox_guard(source: OutboxStatus, target: OutboxStatus) -> sa.ColumnElement[bool]:
    """The WHERE clause of a move from ``source`` to ``target``, as domain/states.py allows it.

    Built at import time by each query below, so a query whose move the state map does not
    allow fails the first time it is built, not in production.
    """
    if not outbox_can_transition(source, target):
        raise ValueError(f"outbox move {source} -> {target} is not in OUTBOX_TRANSITIONS")
    return OutboxRow.status == source


# A release goes back to pending or on to failed; both leave from processing.
_RELEASE = outbox_guard(_P.PROCESSING, _P.PENDING)
assert outbox_can_transition(_P.PROCESSING, _P.FAILED)
_RESCUE = outbox_guard(_P.PROCESSING, _P.PENDING)


def seconds(value: float | sa.ColumnElement[float]) -> sa.ColumnElement[timedelta]:
    """An SQL interval of ``value`` seconds."""
    return sa.func.make_interval(0, 0, 0, 0, 0, 0, value, type_=sa.Interval())


@dataclass(frozen=True)
class SubmissionFacts:
    """What the submission row says, for checking a payload against it."""

    request_id: uuid.UUID | None
    user_id: uuid.UUID
    skill: Skill
    question_skill: Skill


@dataclass(frozen=True)
class ClaimedRow:
    id: uuid.UUID
    submission_id: uuid.UUID
    message_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    submission: SubmissionFacts

    @classmethod
    def from_row(cls, row: Any) -> ClaimedRow:
        """From a row (named fields) with the outbox columns and the submission's
        request_id, user_id, skill and question_skill."""
        return cls(
            id=row.id,
            submission_id=row.submission_id,
            message_type=row.message_type,
            payload=row.payload,
            attempts=row.attempts,
            created_at=row.created_at,
            submission=SubmissionFacts(
                request_id=row.request_id,
                user_id=row.user_id,
                skill=Skill(row.skill),
                question_skill=Skill(row.question_skill),
            ),
        )


@dataclass(frozen=True)
class PublishFailure:
    id: uuid.UUID
    error: str
    # Poison (no route, invalid payload) fails at once; a broker error backs off.
    permanent: bool


# The claim and the mark run on every pass, for every row: fixed SQL texts (psycopg
# prepares them), since SQLAlchemy building the statements and wrapping their rows
# cost more than PostgreSQL running them. Both keep the guards of the state map above.
_CLAIM_SQL = f"""
    UPDATE outbox o
    SET status = '{_P.PROCESSING.value}', locked_at = coalesce(%(now)s, now()),
        locked_by = %(relay_id)s, attempts = o.attempts + 1
    FROM submissions s JOIN questions q ON q.id = s.question_id
    WHERE o.id IN (
            SELECT c.id FROM outbox c
            WHERE c.status = '{_P.PENDING.value}'
              AND (c.locked_at IS NULL
                   OR c.locked_at + make_interval(secs => least(
                          %(cap)s, %(base)s * power(2, greatest(c.attempts - 1, 0))))
                      <= coalesce(%(now)s, now()))
            ORDER BY c.created_at
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        )
      AND s.id = o.submission_id
    RETURNING o.id, o.submission_id, o.message_type, o.payload, o.attempts, o.created_at,
              s.request_id, s.user_id, s.skill, q.skill AS question_skill
"""
assert outbox_can_transition(_P.PENDING, _P.PROCESSING)


def outbox_claim_batch(
    session: Tx,
    *,
    relay_id: str,
    limit: int,
    backoff_base_seconds: float,
    backoff_cap_seconds: float,
    now: datetime | None = None,
) -> list[ClaimedRow]:
    """Lease up to ``limit`` pending rows, oldest first, skipping rows other relays hold.

    A row that failed to publish waits ``min(cap, base * 2^(attempts-1))`` seconds after
    its last try (``locked_at``) before it is claimed again.
    """
    result = execute(
        session,
        _CLAIM_SQL,
        {
            "now": now,
            "relay_id": relay_id,
            "limit": limit,
            "base": float(backoff_base_seconds),
            "cap": float(backoff_cap_seconds),
        },
    )
    rows = [ClaimedRow.from_row(row) for row in result.fetchall()]
    rows.sort(key=lambda row: row.created_at)
    return rows


_QUEUED_SOURCES = ", ".join(
    f"'{source.value}'" for source in sorted(allowed_sources(SubmissionStatus.QUEUED))
)
_MARK_AND_QUEUE_SQL = f"""
    WITH marked AS (
        UPDATE outbox
        SET status = '{_P.PUBLISHED.value}', published_at = coalesce(%(now)s, now()),
            error_message = NULL
        -- = ANY(array): one parameter and one plan, whatever the batch size.
        WHERE id = ANY(%(ids)s) AND status = '{_P.PROCESSING.value}'
          AND locked_by = %(relay_id)s
        -- The jsonb value as the payload holds it (a string, a number or null).
        RETURNING id, submission_id, payload -> 'traceId' AS trace_id
    ),
    moved AS (
        UPDATE submissions s SET status = '{SubmissionStatus.QUEUED.value}', updated_at = now()
        FROM marked
        WHERE s.id = marked.submission_id
          AND s.status IN ({_QUEUED_SOURCES})
        RETURNING s.id, marked.id AS outbox_id, marked.trace_id
    ),
    events AS (
        INSERT INTO submission_events (submission_id, kind, data, occurred_at)
        SELECT id, '{TRANSITION_EVENT[SubmissionStatus.QUEUED]}',
               jsonb_build_object('outboxId', outbox_id::text, 'messageId', outbox_id::text,
                                  'relayId', CAST(%(relay_id)s AS text), 'traceId', trace_id),
               clock_timestamp()
        FROM moved
    )
    SELECT id, submission_id FROM marked
"""
assert outbox_can_transition(_P.PROCESSING, _P.PUBLISHED)


def outbox_mark_published_and_queue(
    session: Tx, *, relay_id: str, ids: Sequence[uuid.UUID], now: datetime | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """In ONE statement: mark rows published where this relay still holds them, move their
    submissions pending -> queued and append to each one moved its 'queued' event.

    The guards of a mark (processing -> published, ``locked_by`` still this relay) and of
    the transition (``allowed_sources(QUEUED)``), and the event data the relay always
    wrote, in one round trip. Returns (outbox id, submission id) of the rows marked.
    """
    if not ids:
        return []
    result = execute(
        session, _MARK_AND_QUEUE_SQL, {"ids": list(ids), "relay_id": relay_id, "now": now}
    )
    return [(row.id, row.submission_id) for row in result.fetchall()]


def outbox_release_failed(
    session: Session, *, relay_id: str, failures: Sequence[PublishFailure], max_attempts: int
) -> list[tuple[uuid.UUID, uuid.UUID, OutboxStatus, int]]:
    """Put rows that did not publish back to pending (backoff) or fail them.

    Poison rows and rows out of attempts become ``failed``. ``locked_at`` stays as the
    time of the try, which the backoff counts from. Returns (id, submission id, status,
    attempts) of the rows this relay still held.
    """
    released = []
    for failure in failures:
        exhausted = sa.literal(failure.permanent) | (OutboxRow.attempts >= max_attempts)
        row = session.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.id == failure.id,
                _RELEASE,
                OutboxRow.locked_by == relay_id,
            )
            .values(
                status=sa.case(
                    (exhausted, sa.cast(sa.literal(_P.FAILED.value), OUTBOX_STATUS)),
                    else_=sa.cast(sa.literal(_P.PENDING.value), OUTBOX_STATUS),
                ),
                error_message=failure.error,
                locked_by=None,
            )
            .returning(OutboxRow.id, OutboxRow.submission_id, OutboxRow.status, OutboxRow.attempts)
        ).one_or_none()
        if row is not None:
            released.append((row[0], row[1], row[2], row[3]))
    return released


def outbox_rescue_expired(
    session: Session, *, lease_seconds: float, now: datetime | None = None
) -> list[tuple[uuid.UUID, str | None]]:
    """Take back rows held past the lease (their relay died) or with no lease time at all
    (written so by hand or by another tool); returns (id, the relay that held it).

    The one query for it, whoever calls it: every relay pass and the scheduler's leases duty.
    """
    clock = clock_or_now(now)
    expired = (
        sa.select(OutboxRow.id, OutboxRow.locked_by)
        .where(
            _RESCUE,
            sa.or_(
                OutboxRow.locked_at.is_(None),
                OutboxRow.locked_at < clock - seconds(lease_seconds),
            ),
        )
        .with_for_update(skip_locked=True)
        .cte("expired")
    )
    result = session.execute(
        sa.update(OutboxRow)
        .where(OutboxRow.id == expired.c.id)
        .values(
            status=_P.PENDING,
            locked_by=None,
            error_message=sa.func.concat(
                "lease expired: relay ",
                sa.func.coalesce(expired.c.locked_by, "?"),
                " held the row past ",
                str(lease_seconds),
                " s",
            ),
        )
        .returning(OutboxRow.id, expired.c.locked_by)
    )
    return [(row[0], row[1]) for row in result]
