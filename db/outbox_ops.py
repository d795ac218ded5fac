"""Operators' named queries on the outbox: list, inspect, retry, stats, purge.

The relay's own queries (claim, mark, release, rescue) are in ``db/outbox.py``. Times
default to the database's clock, the one the relay stamps rows with; tests pass ``now``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db.purge import purge_batch
from db.statements import Sql, Tx, execute
from db.submission_retry import submission_reopen
from db.submissions import submission_event_append
from domain.enums import OutboxStatus, Skill
from domain.events import EventKind
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from domain.sla import DEFAULT_SLA

# Who an operator's retry is recorded as on the submission's outbox_retried event.
OPERATOR = "operator"
# The window of the "failed / published in the last hour" stats.
RECENT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class OutboxRecord:
    """An outbox row as operators see it; the fields in the table's column order."""

    id: uuid.UUID
    submission_id: uuid.UUID
    aggregate_type: str | None
    aggregate_id: uuid.UUID | None
    message_type: str
    payload: dict[str, Any]
    status: OutboxStatus
    attempts: int
    error_message: str | None
    locked_at: datetime | None
    locked_by: str | None
    published_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> OutboxRecord:
        return cls(**{**row._asdict(), "status": OutboxStatus(row.status)})


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


# Every filter is optional (NULL: any).
OUTBOX_LIST = Sql("""
    SELECT id, submission_id, aggregate_type, aggregate_id, message_type, payload, status,
           attempts, error_message, locked_at, locked_by, published_at, created_at
    FROM outbox
    WHERE (CAST(%(status)s AS outbox_status) IS NULL OR status = %(status)s)
      AND (CAST(%(message_type)s AS text) IS NULL OR message_type = %(message_type)s)
    ORDER BY created_at DESC, id
    LIMIT %(limit)s
""")
OUTBOX_GET = Sql("""
    SELECT id, submission_id, aggregate_type, aggregate_id, message_type, payload, status,
           attempts, error_message, locked_at, locked_by, published_at, created_at
    FROM outbox WHERE id = %(id)s
""")
OUTBOX_STATUSES = Sql("SELECT id, status FROM outbox WHERE id = ANY(CAST(%(ids)s AS uuid[]))")


def outbox_list(
    session: Tx,
    *,
    status: OutboxStatus | None = None,
    message_type: str | None = None,
    limit: int = 50,
) -> list[OutboxRecord]:
    """Rows newest first, optionally of one status and one message type."""
    params = {
        "status": status.value if status is not None else None,
        "message_type": message_type,
        "limit": limit,
    }
    return [OutboxRecord.from_row(row) for row in execute(session, OUTBOX_LIST, params)]


def outbox_get(session: Tx, *, id: uuid.UUID) -> OutboxRecord | None:
    row = execute(session, OUTBOX_GET, {"id": id}).fetchone()
    return None if row is None else OutboxRecord.from_row(row)


# The failed rows matching the filters (each optional: NULL is any) back to pending.
# The sub-select locks the rows and keeps their error and attempts for the event (an
# UPDATE's RETURNING sees only the new values); the outer guard on ``status`` is what
# makes the move safe. A relay claims a retried row at once: ``locked_at`` is cleared,
# so no backoff is owed, and ``attempts`` starts again from zero.
OUTBOX_RETRY_FAILED = Sql("""
    WITH previous AS (
        SELECT id, error_message, attempts FROM outbox
        WHERE status = 'failed'
          AND (CAST(%(ids)s AS uuid[]) IS NULL OR id = ANY(%(ids)s))
          AND (CAST(%(message_type)s AS text) IS NULL OR message_type = %(message_type)s)
          AND (CAST(%(older_than)s AS interval) IS NULL
               OR created_at < coalesce(CAST(%(now)s AS timestamptz), now()) - %(older_than)s)
        FOR UPDATE
    )
    UPDATE outbox o
    SET status = 'pending', attempts = 0, error_message = NULL, locked_at = NULL,
        locked_by = NULL
    FROM previous
    WHERE o.id = previous.id AND o.status = 'failed'
    RETURNING o.id, o.submission_id, o.message_type, o.created_at,
              previous.error_message, previous.attempts
""")


def _retry_failed(
    session: Session,
    params: Mapping[str, Any],
    *,
    by: str,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
) -> list[uuid.UUID]:
    """Put the failed rows ``params`` name back to pending, each with its event."""
    returned = execute(session, OUTBOX_RETRY_FAILED, params).fetchall()
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
    params = {"ids": wanted, "message_type": None, "older_than": None, "now": None}
    moved = set(_retry_failed(session, params, by=by, sla=sla))
    left = [id_ for id_ in wanted if id_ not in moved]
    statuses: dict[uuid.UUID, OutboxStatus] = {}
    if left:
        found = execute(session, OUTBOX_STATUSES, {"ids": left})
        statuses = {row.id: OutboxStatus(row.status) for row in found}
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
    params = {"ids": None, "message_type": message_type, "older_than": older_than, "now": now}
    return _retry_failed(session, params, by=by, sla=sla)


# The schema has no ``failed_at``: a row fails while a relay holds it, and the relay
# keeps ``locked_at`` as the time of that last try, so ``locked_at`` is when it failed;
# a row failed without ever being claimed falls back to ``created_at``.
OUTBOX_STATS = Sql("""
    SELECT clock.at,
           min(o.created_at) FILTER (WHERE o.status = 'pending') AS oldest_pending,
           count(*) FILTER (WHERE o.status = 'failed'
                              AND coalesce(o.locked_at, o.created_at) >= clock.since)
               AS failed_recent,
           count(*) FILTER (WHERE o.status = 'published' AND o.published_at >= clock.since)
               AS published_recent,
           count(*) FILTER (WHERE o.status = 'pending') AS pending,
           count(*) FILTER (WHERE o.status = 'processing') AS processing,
           count(*) FILTER (WHERE o.status = 'published') AS published,
           count(*) FILTER (WHERE o.status = 'failed') AS failed
    FROM (
        SELECT coalesce(CAST(%(now)s AS timestamptz), now()) AS at,
               coalesce(CAST(%(now)s AS timestamptz), now()) - CAST(%(window)s AS interval)
                   AS since
    ) clock
    LEFT JOIN outbox o ON true
    GROUP BY clock.at
""")


def outbox_stats(session: Tx, *, now: datetime | None = None) -> OutboxStats:
    """Counts by status, the oldest pending row's age, and the last hour's outcomes."""
    row = execute(session, OUTBOX_STATS, {"now": now, "window": RECENT_WINDOW}).fetchone()
    assert row is not None
    oldest = row.oldest_pending
    age = None if oldest is None else max(0.0, (row.at - oldest).total_seconds())
    return OutboxStats(
        counts={status: getattr(row, status.value) for status in OutboxStatus},
        oldest_pending_age_seconds=age,
        failed_last_hour=row.failed_recent,
        published_last_hour=row.published_recent,
    )


# Never a pending, processing or failed row; ``limit`` NULL deletes every old one.
OUTBOX_PURGE_PUBLISHED = Sql("""
    DELETE FROM outbox
    WHERE id IN (
        SELECT p.id FROM outbox p
        WHERE p.status = 'published'
          AND p.published_at < coalesce(CAST(%(now)s AS timestamptz), now())
                               - CAST(%(older_than)s AS interval)
        LIMIT CAST(%(limit)s AS bigint)
        FOR UPDATE SKIP LOCKED
    )
      AND status = 'published'
""")


def outbox_purge_published(
    session: Tx,
    *,
    older_than: timedelta,
    now: datetime | None = None,
    limit: int | None = None,
) -> int:
    """Delete published rows published more than ``older_than`` ago; how many went.

    With ``limit``, at most that many (the retention duty deletes in short transactions
    and skips rows someone holds).
    """
    return purge_batch(session, OUTBOX_PURGE_PUBLISHED, older_than=older_than, limit=limit, now=now)
