"""Operators' reads for the console: the overview's numbers, failed work grouped, the
outbox purge preview. Keyset pages and a submission's rows are ``db/console_lists.py``'s.

Nothing here counts a large table per view except the overview, which the console caches
and shows with its age. ``now`` is given by tests only; NULL is the database's clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import OutboxStatus, SubmissionStatus
from domain.events import TRANSITION_EVENT

_S = SubmissionStatus
# The event of the transition into failed: its data says why.
_FAILED = TRANSITION_EVENT[_S.FAILED].value

BY_STATUS = Sql("SELECT status, count(*) AS n FROM submissions GROUP BY status")

REVIEW_BACKLOG = Sql(
    """
    SELECT review_priority, count(*) AS n,
           extract(epoch FROM coalesce(CAST(%(now)s AS timestamptz), now()) - min(created_at))
               AS oldest
    FROM submissions
    WHERE status = %(status)s AND deleted_at IS NULL
    GROUP BY review_priority
    """
)

# Through console_submissions_completed_idx.
COMPLETED_LAST_HOUR = Sql(
    """
    SELECT count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM completed_at - created_at)) AS p50,
           percentile_cont(0.95) WITHIN GROUP (
               ORDER BY extract(epoch FROM completed_at - created_at)) AS p95
    FROM submissions
    WHERE completed_at >= coalesce(CAST(%(now)s AS timestamptz), now()) - interval '1 hour'
    """
)

# Failed live submissions by the failureReason of their newest failed event.
FAILURES_BY_REASON = Sql(
    """
    SELECT (SELECT e.data ->> 'failureReason' FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(failed)s
            ORDER BY e.occurred_at DESC LIMIT 1) AS reason,
           count(*) AS n
    FROM submissions s
    WHERE s.status = %(status)s AND s.deleted_at IS NULL
    GROUP BY reason
    """
)

# Failed live submissions grouped by failure reason and last error, the most first;
# each group's ids oldest first, at most %(ids_max)s.
FAILED_GROUPS = Sql(
    """
    SELECT f.reason, f.error, count(*) AS n, min(f.updated_at) AS oldest,
           (array_agg(f.id ORDER BY f.updated_at))[1:%(ids_max)s] AS ids
    FROM (
        SELECT s.id, s.updated_at,
               (SELECT e.data ->> 'failureReason' FROM submission_events e
                WHERE e.submission_id = s.id AND e.kind = %(failed)s
                ORDER BY e.occurred_at DESC LIMIT 1) AS reason,
               (SELECT e.data ->> 'lastError' FROM submission_events e
                WHERE e.submission_id = s.id AND e.kind = %(failed)s
                ORDER BY e.occurred_at DESC LIMIT 1) AS error
        FROM submissions s
        WHERE s.status = %(status)s AND s.deleted_at IS NULL
    ) AS f
    GROUP BY f.reason, f.error
    ORDER BY n DESC
    """
)

OUTBOX_PURGE_PREVIEW = Sql(
    """
    SELECT count(*) AS n, min(published_at) AS oldest
    FROM outbox
    WHERE status = %(status)s
      AND published_at
          < coalesce(CAST(%(now)s AS timestamptz), now()) - CAST(%(older_than)s AS interval)
    """
)

EVENTS_COUNT = Sql("SELECT count(*) AS n FROM submission_events WHERE submission_id = %(id)s")

_PRIORITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "none": 4}


@dataclass(frozen=True)
class Overview:
    by_status: dict[str, int]
    backlog: list[dict[str, Any]]
    completed_last_hour: int
    latency_p50_seconds: float | None
    latency_p95_seconds: float | None
    failures_by_reason: dict[str, int]


def overview_counts(session: Tx, *, now: datetime | None = None) -> Overview:
    review = {"now": now, "status": _S.REVIEW_PENDING.value}
    failed = {"failed": _FAILED, "status": _S.FAILED.value}
    by_status = {str(row.status): row.n for row in execute(session, BY_STATUS, {})}
    backlog = [
        {
            "priority": row.review_priority or "none",
            "count": row.n,
            "oldest_seconds": _float(row.oldest),
        }
        for row in execute(session, REVIEW_BACKLOG, review)
    ]
    backlog.sort(key=lambda b: _PRIORITY_ORDER[b["priority"]])
    done = execute(session, COMPLETED_LAST_HOUR, {"now": now}).fetchone()
    assert done is not None
    failures = {
        str(row.reason or "unknown"): row.n for row in execute(session, FAILURES_BY_REASON, failed)
    }
    return Overview(
        by_status=by_status,
        backlog=backlog,
        completed_last_hour=done.n,
        latency_p50_seconds=_float(done.p50),
        latency_p95_seconds=_float(done.p95),
        failures_by_reason=failures,
    )


@dataclass(frozen=True)
class FailedGroup:
    reason: str
    error: str | None
    count: int
    ids: list[uuid.UUID]
    oldest: datetime


# Ids listed (and retried at once) per group at most.
GROUP_IDS_MAX = 500


def failed_groups(session: Tx) -> list[FailedGroup]:
    """Failed live submissions grouped by their failure reason and last error."""
    params = {"failed": _FAILED, "status": _S.FAILED.value, "ids_max": GROUP_IDS_MAX}
    return [
        FailedGroup(row.reason or "unknown", row.error, row.n, list(row.ids), row.oldest)
        for row in execute(session, FAILED_GROUPS, params)
    ]


def failed_group_ids(session: Tx, *, reason: str, error: str | None) -> list[uuid.UUID]:
    """The failed submissions of one group (as ``failed_groups`` keys it)."""
    for group in failed_groups(session):
        if group.reason == reason and group.error == error:
            return group.ids
    return []


def outbox_purge_preview(
    session: Tx, *, older_than: timedelta, now: datetime | None = None
) -> tuple[int, datetime | None]:
    """How many published rows a purge of ``older_than`` would delete, and the oldest."""
    params = {"status": OutboxStatus.PUBLISHED.value, "now": now, "older_than": older_than}
    row = execute(session, OUTBOX_PURGE_PREVIEW, params).fetchone()
    assert row is not None
    return int(row.n), row.oldest


def events_count(session: Tx, *, submission_id: uuid.UUID) -> int:
    row = execute(session, EVENTS_COUNT, {"id": submission_id}).fetchone()
    assert row is not None
    return int(row.n)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
