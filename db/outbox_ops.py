"""Operators' named queries on the outbox: list, inspect, retry, stats, purge.

The relay's own queries (claim, mark, release, rescue) are in ``db/outbox.py``. Times
default to the database's clock, the one the relay stamps rows with; tests pass ``now``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.models import OutboxRow
from db.submission_retry import submission_reopen
from db.submissions import submission_event_append
from domain.enums import OutboxStatus, Skill
from domain.events import EventKind
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from domain.sla import DEFAULT_SLA

_O = OutboxStatus

# Who an operator's retry is recorded as on the submission's outbox_retried event.
OPERATOR = "operator"
# The window of the "failed / published in the last hour" stats.
RECENT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class RetrySkipped:
    """A named row an operator's retry left alone, and why."""

    id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class RetryOutcome:
    retried: list[uuid.UUID]
    skipped: list[RetrySkipped]


@dataclass(frozen=True)
class OutboxStats:
    counts: dict[OutboxStatus, int]
    # None when no row is pending.
    oldest_pending_age_seconds: float | None
    failed_last_hour: int
    published_last_hour: int


def outbox_list(
    session: Session,
    *,
    status: OutboxStatus | None = None,
    message_type: str | None = None,
    limit: int = 50,
) -> list[OutboxRow]:
    """Rows newest first, optionally of one status and one message type."""
    query = sa.select(OutboxRow).order_by(OutboxRow.created_at.desc(), OutboxRow.id).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if message_type is not None:
        query = query.where(OutboxRow.message_type == message_type)
    return list(session.execute(query).scalars())


def outbox_get(session: Session, *, id: uuid.UUID) -> OutboxRow | None:
    return session.get(OutboxRow, id)


def _retry_failed_where(
    session: Session,
    *conditions: sa.ColumnElement[bool],
    by: str,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
) -> list[uuid.UUID]:
    """Put the failed rows matching ``conditions`` back to pending, each with its event.

    The sub-select locks the rows and keeps their error and attempts for the event (an
    UPDATE's RETURNING sees only the new values); the outer guard on ``status`` is what
    makes the move safe. A relay claims a retried row at once: ``locked_at`` is cleared,
    so no backoff is owed, and ``attempts`` starts again from zero.
    """
    previous = (
        sa.select(OutboxRow.id, OutboxRow.error_message, OutboxRow.attempts)
        .where(OutboxRow.status == _O.FAILED, *conditions)
        .with_for_update()
        .subquery("previous")
    )
    returned = session.execute(
        sa.update(OutboxRow)
        .where(OutboxRow.id == previous.c.id, OutboxRow.status == _O.FAILED)
        .values(
            status=_O.PENDING,
            attempts=0,
            error_message=None,
            locked_at=None,
            locked_by=None,
        )
        .returning(
            OutboxRow.id,
            OutboxRow.submission_id,
            OutboxRow.message_type,
            OutboxRow.created_at,
            previous.c.error_message,
            previous.c.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    moved = sorted(returned, key=lambda row: (row.created_at, row.id))
    for row in moved:
        submission_event_append(
            session,
            submission_id=row.submission_id,
            kind=EventKind.OUTBOX_RETRIED,
            data={
                "outboxId": str(row.id),
                "previousError": row.error_message,
                "previousAttempts": row.attempts,
                "by": by,
            },
        )
        if row.message_type == MESSAGE_TYPE_GRADING_REQUEST:
            # A poison request failed its submission with it; sending the request again
            # is the operator's retry of that submission (a no-op if it is not failed).
            submission_reopen(
                session, id=row.submission_id, by=by, sla=sla, data={"outboxId": str(row.id)}
            )
    return [row.id for row in moved]


def outbox_retry(
    session: Session,
    *,
    ids: Sequence[uuid.UUID],
    by: str = OPERATOR,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
) -> RetryOutcome:
    """Retry the named rows that are failed; report every other one with the reason."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return RetryOutcome(retried=[], skipped=[])
    moved = set(_retry_failed_where(session, OutboxRow.id.in_(wanted), by=by, sla=sla))
    left = [id_ for id_ in wanted if id_ not in moved]
    statuses: dict[uuid.UUID, OutboxStatus] = {}
    if left:
        found = session.execute(
            sa.select(OutboxRow.id, OutboxRow.status).where(OutboxRow.id.in_(left))
        )
        statuses = {row.id: row.status for row in found}
    skipped = [
        RetrySkipped(
            id=id_,
            reason=f"status is {statuses[id_].value}" if id_ in statuses else "no such outbox row",
        )
        for id_ in left
    ]
    return RetryOutcome(retried=[id_ for id_ in wanted if id_ in moved], skipped=skipped)


def outbox_retry_failed_matching(
    session: Session,
    *,
    message_type: str | None = None,
    older_than: timedelta | None = None,
    now: datetime | None = None,
    by: str = OPERATOR,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
) -> list[uuid.UUID]:
    """Retry every failed row of ``message_type`` created more than ``older_than`` ago."""
    conditions: list[sa.ColumnElement[bool]] = []
    if message_type is not None:
        conditions.append(OutboxRow.message_type == message_type)
    if older_than is not None:
        conditions.append(OutboxRow.created_at < clock_or_now(now) - older_than)
    return _retry_failed_where(session, *conditions, by=by, sla=sla)


def outbox_stats(session: Session, *, now: datetime | None = None) -> OutboxStats:
    """Counts by status, the oldest pending row's age, and the last hour's outcomes.

    The schema has no ``failed_at``: a row fails while a relay holds it, and the relay
    keeps ``locked_at`` as the time of that last try, so ``locked_at`` is when it failed;
    a row failed without ever being claimed falls back to ``created_at``.
    """
    clock = clock_or_now(now)
    since = clock - RECENT_WINDOW
    status = OutboxRow.status
    count_by_status = [sa.func.count().filter(status == value) for value in OutboxStatus]
    row = session.execute(
        sa.select(
            clock,
            sa.func.min(OutboxRow.created_at).filter(status == _O.PENDING),
            sa.func.count().filter(
                status == _O.FAILED,
                sa.func.coalesce(OutboxRow.locked_at, OutboxRow.created_at) >= since,
            ),
            sa.func.count().filter(status == _O.PUBLISHED, OutboxRow.published_at >= since),
            *count_by_status,
        )
    ).one()
    at, oldest_pending, failed_recent, published_recent, *counts = row
    age = None if oldest_pending is None else max(0.0, (at - oldest_pending).total_seconds())
    return OutboxStats(
        counts=dict(zip(OutboxStatus, counts, strict=True)),
        oldest_pending_age_seconds=age,
        failed_last_hour=failed_recent,
        published_last_hour=published_recent,
    )


def outbox_purge_published(
    session: Session,
    *,
    older_than: timedelta,
    now: datetime | None = None,
    limit: int | None = None,
) -> int:
    """Delete published rows published more than ``older_than`` ago; how many went.

    Never a pending, processing or failed row. With ``limit``, at most that many (the
    retention duty deletes in short transactions and skips rows someone holds).
    """
    old = sa.and_(
        OutboxRow.status == _O.PUBLISHED,
        OutboxRow.published_at < clock_or_now(now) - older_than,
    )
    if limit is not None:
        batch = (
            sa.select(OutboxRow.id).where(old).limit(limit).with_for_update(skip_locked=True)
        ).scalar_subquery()
        old = sa.and_(OutboxRow.id.in_(batch), OutboxRow.status == _O.PUBLISHED)
    result = session.execute(
        sa.delete(OutboxRow).where(old).execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
