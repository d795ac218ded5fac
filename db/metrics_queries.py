"""Read-only named queries behind ``/metrics``: the state of the system, read at scrape time.

What the processes did (published, graded, retried, their latency) they count themselves
(``workers/metrics.py``); the database tells what is waiting now: outbox rows, live
submissions by status, the review backlog, the callback inbox. A scrape must stay cheap
at ten million submissions and a hundred million events, so:

- ``submission_events`` is never read (it has no index a count by kind could use);
- a count reads at most ``EXACT_COUNT_LIMIT`` entries of an index that holds just the
  rows counted (``LIMIT`` under the count), so it is exact up to that limit and costs
  the same however large the table grows;
- past the limit, or where no index holds the rows (published and failed outbox rows),
  the count is PostgreSQL's own estimate: the planner's row estimate for the same
  query (``EXPLAIN``), made from ``pg_class.reltuples`` and the column statistics
  that autovacuum's ANALYZE keeps; never less than the limit where the limit was hit.
  A small table (estimated at most ``EXACT_COUNT_LIMIT`` rows) is counted exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.enums import OutboxStatus, ReviewPriority, SubmissionStatus

# Longest a scrape's statement may run before it is abandoned, in milliseconds.
METRICS_STATEMENT_TIMEOUT_MS = 2000
# Counts up to this are exact; a count never reads more index entries than this.
EXACT_COUNT_LIMIT = 10_000

# One capped count per submission status, each an index scan of submissions_status_idx.
SUBMISSIONS_BY_STATUS = sa.text(
    """
    SELECT s.status::text, (
        SELECT count(*) FROM (
            SELECT FROM submissions AS x
            WHERE x.status = s.status AND x.deleted_at IS NULL
            LIMIT :limit
        ) AS capped
    )
    FROM unnest(enum_range(NULL::submission_status)) AS s(status)
    """
)

# The review backlog by priority, read through submissions_review_queue_idx; run only
# while the backlog is within the limit.
REVIEW_BACKLOG = sa.text(
    """
    SELECT review_priority::text, count(*) FROM submissions
    WHERE status = 'review_pending' AND deleted_at IS NULL
    GROUP BY review_priority
    """
)

# Pending and processing rows through their partial indexes (outbox_pending_idx,
# outbox_processing_idx), the oldest pending row's age by the database clock, and
# whether the outbox is small enough to count the rest exactly.
OUTBOX_BACKLOG = sa.text(
    """
    SELECT
        (SELECT count(*) FROM (SELECT FROM outbox WHERE status = 'pending' LIMIT :limit) AS p),
        (SELECT count(*) FROM (SELECT FROM outbox WHERE status = 'processing' LIMIT :limit) AS q),
        extract(epoch FROM now() - (SELECT min(created_at) FROM outbox WHERE status = 'pending'))
    """
)

# Published and failed rows have no index of their own: counted in one pass only while
# the outbox is small.
OUTBOX_SETTLED = sa.text(
    """
    SELECT count(*) FILTER (WHERE status = 'published'), count(*) FILTER (WHERE status = 'failed')
    FROM outbox
    """
)

# The callback inbox: the first rows of the table, however many there are.
CALLBACKS = sa.text("SELECT count(*) FROM (SELECT FROM processed_callbacks LIMIT :limit) AS capped")


@dataclass(frozen=True)
class OutboxBacklog:
    counts: dict[OutboxStatus, int]
    # None when no row is pending.
    oldest_pending_age_seconds: float | None


def metrics_bound_statements(session: Session) -> None:
    """Cap every following statement of this transaction (a scrape never piles up)."""
    session.execute(sa.text(f"SET LOCAL statement_timeout = {METRICS_STATEMENT_TIMEOUT_MS}"))


def submission_counts_by_status(session: Session) -> dict[SubmissionStatus, int]:
    """Live submissions per status, every status present (zero when none)."""
    rows = session.execute(SUBMISSIONS_BY_STATUS, {"limit": EXACT_COUNT_LIMIT + 1})
    counts = {SubmissionStatus(status): int(n) for status, n in rows}
    for status, n in counts.items():
        if n > EXACT_COUNT_LIMIT:
            counts[status] = _at_least_limit(
                planner_estimate(session, _live_submissions_where(f"status = '{status.value}'"))
            )
    return counts


def review_backlog_by_priority(
    session: Session, *, backlog: int
) -> dict[ReviewPriority | None, int]:
    """Live submissions waiting for a reviewer per priority (None: no priority recorded).

    ``backlog`` is the review_pending count: within the limit the backlog is counted
    exactly; past it, each priority is estimated."""
    counts: dict[ReviewPriority | None, int] = dict.fromkeys(ReviewPriority, 0)
    if backlog <= EXACT_COUNT_LIMIT:
        for priority, n in session.execute(REVIEW_BACKLOG):
            counts[ReviewPriority(priority) if priority else None] = int(n)
        return counts
    waiting = "status = 'review_pending'"
    for priority in ReviewPriority:
        counts[priority] = planner_estimate(
            session, _live_submissions_where(f"{waiting} AND review_priority = '{priority.value}'")
        )
    counts[None] = planner_estimate(
        session, _live_submissions_where(f"{waiting} AND review_priority IS NULL")
    )
    return counts


def outbox_backlog(session: Session) -> OutboxBacklog:
    """Outbox rows per status (pending and processing exact up to the limit; published and
    failed exact while the whole outbox is within it), and the oldest pending row's age."""
    pending, processing, oldest = session.execute(
        OUTBOX_BACKLOG, {"limit": EXACT_COUNT_LIMIT + 1}
    ).one()
    counts = {OutboxStatus.PENDING: int(pending), OutboxStatus.PROCESSING: int(processing)}
    for status in (OutboxStatus.PENDING, OutboxStatus.PROCESSING):
        if counts[status] > EXACT_COUNT_LIMIT:
            counts[status] = _at_least_limit(
                planner_estimate(session, f"SELECT FROM outbox WHERE status = '{status.value}'")
            )
    if planner_estimate(session, "SELECT FROM outbox") <= EXACT_COUNT_LIMIT:
        published, failed = session.execute(OUTBOX_SETTLED).one()
        counts[OutboxStatus.PUBLISHED], counts[OutboxStatus.FAILED] = int(published), int(failed)
    else:
        for status in (OutboxStatus.PUBLISHED, OutboxStatus.FAILED):
            counts[status] = planner_estimate(
                session, f"SELECT FROM outbox WHERE status = '{status.value}'"
            )
    age = None if oldest is None else max(0.0, float(oldest))
    return OutboxBacklog({status: counts[status] for status in OutboxStatus}, age)


def processed_callback_count(session: Session) -> int:
    """Rows in the callback inbox (kept CALLBACK_RETENTION_DAYS, then deleted)."""
    n = int(session.execute(CALLBACKS, {"limit": EXACT_COUNT_LIMIT + 1}).scalar_one())
    if n > EXACT_COUNT_LIMIT:
        return _at_least_limit(planner_estimate(session, "SELECT FROM processed_callbacks"))
    return n


def planner_estimate(session: Session, select: str) -> int:
    """How many rows PostgreSQL's planner expects ``select`` to return (no row is read).

    ``select`` is built here from our own enum values, never from input."""
    plan: Any = session.execute(sa.text(f"EXPLAIN (FORMAT JSON) {select}")).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def scrape_statements() -> dict[str, tuple[sa.TextClause, dict[str, int]]]:
    """The statements a scrape may run, by name, with their parameters (for EXPLAIN in
    benchmarks/metrics_scrape.py); the estimates' EXPLAINs read no row."""
    limit = {"limit": EXACT_COUNT_LIMIT + 1}
    return {
        "submissions by status": (SUBMISSIONS_BY_STATUS, limit),
        "review backlog": (REVIEW_BACKLOG, {}),
        "outbox backlog": (OUTBOX_BACKLOG, limit),
        "outbox published and failed (small outbox only)": (OUTBOX_SETTLED, {}),
        "callback inbox": (CALLBACKS, limit),
    }


def _live_submissions_where(condition: str) -> str:
    return f"SELECT FROM submissions WHERE {condition} AND deleted_at IS NULL"


def _at_least_limit(estimate: int) -> int:
    # The exact count already passed the limit; a stale estimate must not say fewer.
    return max(estimate, EXACT_COUNT_LIMIT + 1)
