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
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.models import OutboxRow, Question, Submission, SubmissionEvent
from db.models.base import OUTBOX_STATUS
from db.submissions import EVENT_TIME, TRANSITION_EVENT
from domain.enums import OutboxStatus, Skill, SubmissionStatus
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


_CLAIM = outbox_guard(_P.PENDING, _P.PROCESSING)
_MARK = outbox_guard(_P.PROCESSING, _P.PUBLISHED)
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
    def from_row(cls, row: sa.Row[Any]) -> ClaimedRow:
        """From a row with the outbox columns and the submission's request_id, user_id,
        skill and question_skill."""
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
                skill=row.skill,
                question_skill=row.question_skill,
            ),
        )


@dataclass(frozen=True)
class PublishFailure:
    id: uuid.UUID
    error: str
    # Poison (no route, invalid payload) fails at once; a broker error backs off.
    permanent: bool


def outbox_claim_batch(
    session: Session,
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
    clock = clock_or_now(now)
    backoff_seconds = sa.func.least(
        backoff_cap_seconds,
        backoff_base_seconds * sa.func.power(2, sa.func.greatest(OutboxRow.attempts - 1, 0)),
    )
    due = sa.or_(
        OutboxRow.locked_at.is_(None),
        OutboxRow.locked_at + seconds(backoff_seconds) <= clock,
    )
    candidates = (
        sa.select(OutboxRow.id)
        .where(_CLAIM, due)
        .order_by(OutboxRow.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = session.execute(
        sa.update(OutboxRow)
        .where(
            OutboxRow.id.in_(candidates),
            Submission.id == OutboxRow.submission_id,
            Question.id == Submission.question_id,
        )
        .values(
            status=_P.PROCESSING,
            locked_at=clock,
            locked_by=relay_id,
            attempts=OutboxRow.attempts + 1,
        )
        .returning(
            OutboxRow.id,
            OutboxRow.submission_id,
            OutboxRow.message_type,
            OutboxRow.payload,
            OutboxRow.attempts,
            OutboxRow.created_at,
            Submission.request_id,
            Submission.user_id,
            Submission.skill,
            Question.skill.label("question_skill"),
        )
    )
    rows = [ClaimedRow.from_row(row) for row in result]
    rows.sort(key=lambda row: row.created_at)
    return rows


def _mark_published_and_queue_statement() -> sa.Select[Any]:
    """The statement of ``outbox_mark_published_and_queue``, built once: parameters ``ids``
    (uuid[]), ``relay_id`` and ``now`` (NULL: the database's clock)."""
    queued = SubmissionStatus.QUEUED
    relay_id = sa.bindparam("relay_id", type_=sa.String)
    marked = (
        sa.update(OutboxRow)
        .where(
            # = ANY(array): one parameter and one plan, whatever the batch size.
            OutboxRow.id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid))),
            _MARK,
            OutboxRow.locked_by == relay_id,
        )
        .values(
            status=_P.PUBLISHED,
            published_at=sa.func.coalesce(
                sa.bindparam("now", type_=sa.DateTime(timezone=True)), sa.func.now()
            ),
            error_message=None,
        )
        .returning(
            OutboxRow.id,
            OutboxRow.submission_id,
            # The jsonb value as the payload holds it (a string, a number or null).
            OutboxRow.payload["traceId"].label("trace_id"),
        )
        .cte("marked")
    )
    moved = (
        sa.update(Submission)
        .where(
            Submission.id == marked.c.submission_id,
            Submission.status.in_(allowed_sources(queued)),
        )
        .values(status=queued, updated_at=sa.func.now())
        .returning(Submission.id, marked.c.id.label("outbox_id"), marked.c.trace_id)
        .cte("moved")
    )
    outbox_id_text = sa.cast(moved.c.outbox_id, sa.Text)
    events = (
        sa.insert(SubmissionEvent)
        .from_select(
            ["submission_id", "kind", "data", "occurred_at"],
            sa.select(
                moved.c.id,
                sa.literal(TRANSITION_EVENT[queued]),
                sa.func.jsonb_build_object(
                    "outboxId",
                    outbox_id_text,
                    "messageId",
                    outbox_id_text,
                    "relayId",
                    sa.cast(relay_id, sa.Text),
                    "traceId",
                    moved.c.trace_id,
                ),
                EVENT_TIME,
            ),
        )
        .cte("events")
    )
    return sa.select(marked.c.id, marked.c.submission_id).add_cte(moved).add_cte(events)


_MARK_PUBLISHED_AND_QUEUE = _mark_published_and_queue_statement()


def outbox_mark_published_and_queue(
    session: Session, *, relay_id: str, ids: Sequence[uuid.UUID], now: datetime | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """In ONE statement: mark rows published where this relay still holds them, move their
    submissions pending -> queued and append to each one moved its 'queued' event.

    The guards of a mark (processing -> published, ``locked_by`` still this relay) and of
    the transition (``allowed_sources(QUEUED)``), and the event data the relay always
    wrote, in one round trip. Returns (outbox id, submission id) of the rows marked.
    """
    if not ids:
        return []
    result = session.execute(
        _MARK_PUBLISHED_AND_QUEUE, {"ids": list(ids), "relay_id": relay_id, "now": now}
    )
    return [(row[0], row[1]) for row in result]


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
