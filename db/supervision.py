"""Named queries of the scheduler's supervision duties: timeouts and stalled work.

Each duty runs in one transaction that first takes a transaction-level advisory lock
of its own, so two schedulers running by mistake do each thing once: the second finds
the lock taken and does nothing this round. Rows are locked too (SKIP LOCKED), so an
operator's command or a worker holding a submission is never waited on.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.event_facts import count_of, last_event_at, latest_data, latest_kind
from db.models import OutboxRow, Submission, SubmissionEvent
from db.submissions import EVENT_TIME
from domain.enums import OutboxStatus, SubmissionStatus
from domain.events import TRANSITION_EVENT, EventKind
from domain.failures import TIMEOUT
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from domain.states import STALL_ELIGIBLE, TIMEOUT_ELIGIBLE, allowed_sources

_S = SubmissionStatus


def duty_lock(session: Session, *, duty: str) -> bool:
    """Take the duty's advisory lock for this transaction; False when another holds it."""
    key = zlib.crc32(f"vstep-grading:{duty}".encode())
    return bool(session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(key))).scalar_one())


@dataclass(frozen=True)
class TimedOut:
    id: uuid.UUID
    previous_status: SubmissionStatus
    deadline: datetime


def submissions_fail_timed_out(
    session: Session, *, limit: int, now: datetime | None = None
) -> list[TimedOut]:
    """Fail up to ``limit`` live submissions past their deadline (failureReason TIMEOUT).

    review_pending is not among the eligible states: a person is on it.
    """
    clock = clock_or_now(now)
    assert allowed_sources(_S.FAILED) >= TIMEOUT_ELIGIBLE
    due = (
        sa.select(
            Submission.id,
            Submission.status,
            Submission.deadline,
            count_of("processing").label("attempts"),
            latest_data("error", "error").label("last_error"),
        )
        .where(
            Submission.status.in_(TIMEOUT_ELIGIBLE),
            Submission.deadline < clock,
            Submission.deleted_at.is_(None),
        )
        .order_by(Submission.deadline)
        .limit(limit)
        .with_for_update(of=Submission, skip_locked=True)
        .cte("due")
    )
    moved = session.execute(
        sa.update(Submission)
        .where(Submission.id == due.c.id, Submission.status.in_(TIMEOUT_ELIGIBLE))
        .values(status=_S.FAILED, updated_at=sa.func.now())
        .returning(Submission.id, due.c.status, due.c.deadline, due.c.attempts, due.c.last_error)
    ).all()
    if moved:
        session.execute(
            sa.insert(SubmissionEvent).values(occurred_at=EVENT_TIME),
            [
                {
                    "submission_id": row.id,
                    "kind": TRANSITION_EVENT[_S.FAILED],
                    "data": {
                        "failureReason": TIMEOUT,
                        "attemptsMade": row.attempts,
                        "lastError": row.last_error,
                        "previousStatus": row.status.value,
                        "deadline": row.deadline.isoformat(),
                    },
                }
                for row in moved
            ],
        )
    return [TimedOut(row.id, row.status, row.deadline) for row in moved]


@dataclass(frozen=True)
class Stalled:
    """A submission the broker should be carrying, with nothing heard of it for a while."""

    id: uuid.UUID
    status: SubmissionStatus
    stalled_seconds: float
    redispatch_count: int
    # The newest grading.request row's id: the message id a broker may still hold.
    last_message_id: uuid.UUID | None
    # The kind of its newest event: grader_requested means an external grader has it.
    last_event_kind: str | None
    attempts_made: int
    last_error: str | None


def submissions_stalled(
    session: Session,
    *,
    stall_seconds: float,
    limit: int,
    after: uuid.UUID | None = None,
    now: datetime | None = None,
    lock: bool = True,
) -> list[Stalled]:
    """Live submissions in queued|processing|retrying, before their deadline, whose last
    event is ``stall_seconds`` old or more, and whose newest request the relay has sent.

    Ordered by id from ``after`` (keyset pages): a long healthy backlog, skipped page by
    page, never hides a stalled submission behind it.
    """
    clock = clock_or_now(now)
    last_event = last_event_at()
    newest_request = (
        sa.select(OutboxRow.id, OutboxRow.status)
        .where(
            OutboxRow.submission_id == Submission.id,
            OutboxRow.message_type == MESSAGE_TYPE_GRADING_REQUEST,
        )
        .order_by(OutboxRow.created_at.desc())
        .limit(1)
        .lateral("newest_request")
    )
    redispatches = count_of(EventKind.REDISPATCHED)
    query = (
        sa.select(
            Submission.id,
            Submission.status,
            sa.func.extract("epoch", clock - last_event).label("quiet"),
            redispatches.label("redispatches"),
            latest_kind().label("last_kind"),
            newest_request.c.id.label("message_id"),
            count_of("processing").label("attempts"),
            latest_data("error", "error").label("last_error"),
        )
        .outerjoin(newest_request, sa.true())
        .where(
            Submission.status.in_(STALL_ELIGIBLE),
            Submission.deleted_at.is_(None),
            sa.or_(Submission.deadline.is_(None), Submission.deadline > clock),
            last_event <= clock - sa.func.make_interval(0, 0, 0, 0, 0, 0, stall_seconds),
            # A request still in the outbox is the relay's to send, not lost.
            sa.or_(
                newest_request.c.status.is_(None),
                newest_request.c.status.not_in([OutboxStatus.PENDING, OutboxStatus.PROCESSING]),
            ),
        )
        .order_by(Submission.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Submission.id > after)
    if lock:
        query = query.with_for_update(of=Submission, skip_locked=True)
    return [
        Stalled(
            id=row.id,
            status=row.status,
            stalled_seconds=float(row.quiet),
            redispatch_count=int(row.redispatches),
            last_message_id=row.message_id,
            last_event_kind=row.last_kind,
            attempts_made=int(row.attempts),
            last_error=row.last_error,
        )
        for row in session.execute(query)
    ]
