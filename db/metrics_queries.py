"""Read-only named queries behind ``/metrics``: the state of the system, read at scrape time.

What the processes did (published, graded, retried, their latency) they count themselves
(``workers/metrics.py``); the database tells what is waiting now: outbox rows, live
submissions by status, the review backlog, the callback inbox. A scrape must stay cheap
at ten million submissions and a hundred million events, so:

- ``submission_events`` is never read (it has no index a count by kind could use);
- a count reads at most ``EXACT_COUNT_LIMIT`` entries of an index that holds just the
  rows counted (``LIMIT`` under the count), so it is exact up to that limit and costs
  the same however large the table grows; completed and failed submissions, whose rows
  lie all over the table, only ``SCATTERED_COUNT_LIMIT``;
- past the limit, or where no index holds the rows (published and failed outbox rows),
  the count is PostgreSQL's own estimate: the planner's row estimate for the same
  query (``EXPLAIN``), made from ``pg_class.reltuples`` and the column statistics
  that autovacuum's ANALYZE keeps; never less than the limit where the limit was hit.
  A small table (estimated at most ``EXACT_COUNT_LIMIT`` rows) is counted exactly;
- the review backlog by priority reads at most ``SCATTERED_COUNT_LIMIT`` rows, the
  front of the queue: exact up to that many waiting, past it what is at the front (the
  review_pending count has the total).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import OutboxStatus, ReviewPriority, SubmissionStatus

# Longest a scrape's statement may run before it is abandoned, in milliseconds.
METRICS_STATEMENT_TIMEOUT_MS = 2000
# Counts up to this are exact; a count never reads more index entries than this.
EXACT_COUNT_LIMIT = 10_000
# Completed and failed submissions lie all over the table's history, so each row a
# count checks in the table (deleted_at is not in the index) is likely a page of its
# own: their exact range is smaller, and the review backlog by priority reads no more
# rows either. In-flight rows are recent, their pages few and cached.
SCATTERED_COUNT_LIMIT = 1_000
SCATTERED = (SubmissionStatus.COMPLETED, SubmissionStatus.FAILED)

# Cap every following statement of the scrape's transaction, and read through indexes.
BOUND_STATEMENTS = Sql(
    """
    SELECT set_config('statement_timeout', %(timeout_ms)s, true) AS statement_timeout,
           set_config('enable_seqscan', 'off', true) AS enable_seqscan
    """
)

# One capped count per status, in SubmissionStatus's order, each with its value written
# out: the planner then knows how many rows a status has and reads a large one with a
# plain index scan of submissions_status_idx that stops at the limit (given the status
# as a parameter, it plans for an average status and builds a bitmap of every entry
# first). Completed and failed are capped at :scattered.
SUBMISSIONS_BY_STATUS = Sql(
    """
    SELECT
    (SELECT count(*) AS pending FROM (SELECT FROM submissions
        WHERE status = 'pending' AND deleted_at IS NULL LIMIT %(limit)s) AS capped),
    (SELECT count(*) AS queued FROM (SELECT FROM submissions
        WHERE status = 'queued' AND deleted_at IS NULL LIMIT %(limit)s) AS capped),
    (SELECT count(*) AS processing FROM (SELECT FROM submissions
        WHERE status = 'processing' AND deleted_at IS NULL LIMIT %(limit)s) AS capped),
    (SELECT count(*) AS completed FROM (SELECT FROM submissions
        WHERE status = 'completed' AND deleted_at IS NULL LIMIT %(scattered)s) AS capped),
    (SELECT count(*) AS review_pending FROM (SELECT FROM submissions
        WHERE status = 'review_pending' AND deleted_at IS NULL LIMIT %(limit)s) AS capped),
    (SELECT count(*) AS error FROM (SELECT FROM submissions
        WHERE status = 'error' AND deleted_at IS NULL LIMIT %(limit)s) AS capped),
    (SELECT count(*) AS retrying FROM (SELECT FROM submissions
        WHERE status = 'retrying' AND deleted_at IS NULL LIMIT %(limit)s) AS capped),
    (SELECT count(*) AS failed FROM (SELECT FROM submissions
        WHERE status = 'failed' AND deleted_at IS NULL LIMIT %(scattered)s) AS capped)
    """
)
# The text above names every status once, in the enum's order.
assert [
    line.split("'")[1] for line in SUBMISSIONS_BY_STATUS.splitlines() if "status = '" in line
] == [status.value for status in SubmissionStatus]

# The review backlog by priority: the front of the queue (lowest confidence first)
# through submissions_review_queue_idx, at most %(sample)s rows.
REVIEW_BACKLOG = Sql(
    """
    SELECT review_priority::text AS priority, count(*) AS n FROM (
        SELECT review_priority FROM submissions
        WHERE status = 'review_pending' AND deleted_at IS NULL
        ORDER BY confidence
        LIMIT %(sample)s
    ) AS front
    GROUP BY review_priority
    """
)

# Pending and processing rows through their partial indexes (outbox_pending_idx,
# outbox_processing_idx), and the oldest pending row's age by the database clock.
OUTBOX_BACKLOG = Sql(
    """
    SELECT
        (SELECT count(*) FROM (
            SELECT FROM outbox WHERE status = 'pending' LIMIT %(limit)s) AS p) AS pending,
        (SELECT count(*) FROM (
            SELECT FROM outbox WHERE status = 'processing' LIMIT %(limit)s) AS q) AS processing,
        extract(epoch FROM now() - (SELECT min(created_at) FROM outbox WHERE status = 'pending'))
            AS oldest_pending_age
    """
)

# Published and failed rows have no index of their own: counted in one pass only while
# the outbox is small.
OUTBOX_SETTLED = Sql(
    """
    SELECT count(*) FILTER (WHERE status = 'published') AS published,
           count(*) FILTER (WHERE status = 'failed') AS failed
    FROM outbox
    """
)

# The callback inbox: the first rows of the table, however many there are.
CALLBACKS = Sql("SELECT count(*) FROM (SELECT FROM processed_callbacks LIMIT %(limit)s) AS capped")

# The planner's estimates (EXPLAIN reads no row). The status is bound before planning,
# so the estimate is that status's, from the column's statistics.
ESTIMATE_LIVE_SUBMISSIONS = Sql(
    """
    EXPLAIN (FORMAT JSON)
    SELECT FROM submissions WHERE status = %(status)s AND deleted_at IS NULL
    """
)
ESTIMATE_OUTBOX_STATUS = Sql("EXPLAIN (FORMAT JSON) SELECT FROM outbox WHERE status = %(status)s")
ESTIMATE_OUTBOX = Sql("EXPLAIN (FORMAT JSON) SELECT FROM outbox")
ESTIMATE_CALLBACKS = Sql("EXPLAIN (FORMAT JSON) SELECT FROM processed_callbacks")


@dataclass(frozen=True)
class OutboxBacklog:
    counts: dict[OutboxStatus, int]
    # None when no row is pending.
    oldest_pending_age_seconds: float | None


def metrics_bound_statements(session: Tx) -> None:
    """Cap every following statement of this transaction (a scrape never piles up), and
    have it read through indexes: a sequential scan under a LIMIT reads a number of rows
    that depends on how the counted rows lie in the table, an index scan only the limit."""
    execute(session, BOUND_STATEMENTS, {"timeout_ms": str(METRICS_STATEMENT_TIMEOUT_MS)})


def submission_counts_by_status(session: Tx) -> dict[SubmissionStatus, int]:
    """Live submissions per status, every status present (zero when none)."""
    row = execute(session, SUBMISSIONS_BY_STATUS, _limits()).fetchone()
    assert row is not None
    counts = {status: int(n) for status, n in zip(SubmissionStatus, row, strict=True)}
    for status, n in counts.items():
        limit = _limit_of(status)
        if n > limit:
            estimate = planner_estimate(
                session, ESTIMATE_LIVE_SUBMISSIONS, {"status": status.value}
            )
            counts[status] = max(estimate, limit + 1)
    return counts


def review_backlog_by_priority(session: Tx) -> dict[ReviewPriority | None, int]:
    """Live submissions waiting for a reviewer per priority (None: no priority recorded):
    exact while at most ``SCATTERED_COUNT_LIMIT`` wait; past that, among that many at the
    front of the queue (lowest confidence first, the most urgent)."""
    counts: dict[ReviewPriority | None, int] = dict.fromkeys(ReviewPriority, 0)
    for priority, n in execute(session, REVIEW_BACKLOG, {"sample": SCATTERED_COUNT_LIMIT}):
        counts[ReviewPriority(priority) if priority else None] = int(n)
    return counts


def outbox_backlog(session: Tx) -> OutboxBacklog:
    """Outbox rows per status (pending and processing exact up to the limit; published and
    failed exact while the whole outbox is within it), and the oldest pending row's age."""
    row = execute(session, OUTBOX_BACKLOG, {"limit": EXACT_COUNT_LIMIT + 1}).fetchone()
    assert row is not None
    pending, processing, oldest = row
    counts = {OutboxStatus.PENDING: int(pending), OutboxStatus.PROCESSING: int(processing)}
    for status in (OutboxStatus.PENDING, OutboxStatus.PROCESSING):
        if counts[status] > EXACT_COUNT_LIMIT:
            counts[status] = _at_least_limit(
                planner_estimate(session, ESTIMATE_OUTBOX_STATUS, {"status": status.value})
            )
    if planner_estimate(session, ESTIMATE_OUTBOX) <= EXACT_COUNT_LIMIT:
        settled = execute(session, OUTBOX_SETTLED, {}).fetchone()
        assert settled is not None
        counts[OutboxStatus.PUBLISHED], counts[OutboxStatus.FAILED] = map(int, settled)
    else:
        for status in (OutboxStatus.PUBLISHED, OutboxStatus.FAILED):
            counts[status] = planner_estimate(
                session, ESTIMATE_OUTBOX_STATUS, {"status": status.value}
            )
    age = None if oldest is None else max(0.0, float(oldest))
    return OutboxBacklog({status: counts[status] for status in OutboxStatus}, age)


def processed_callback_count(session: Tx) -> int:
    """Rows in the callback inbox (kept CALLBACK_RETENTION_DAYS, then deleted)."""
    row = execute(session, CALLBACKS, {"limit": EXACT_COUNT_LIMIT + 1}).fetchone()
    assert row is not None
    n = int(row[0])
    if n > EXACT_COUNT_LIMIT:
        return _at_least_limit(planner_estimate(session, ESTIMATE_CALLBACKS))
    return n


def planner_estimate(session: Tx, explain: Sql, params: Mapping[str, Any] | None = None) -> int:
    """How many rows PostgreSQL's planner expects an ``ESTIMATE_*`` text's select to
    return (no row is read)."""
    row = execute(session, explain, params or {}).fetchone()
    assert row is not None
    plan: Any = row[0]
    return int(plan[0]["Plan"]["Plan Rows"])


def scrape_statements() -> dict[str, tuple[Sql, dict[str, int]]]:
    """The statements a scrape may run, by name, with their parameters (for EXPLAIN in
    benchmarks/metrics_scrape.py); the estimates' EXPLAINs read no row."""
    limit = {"limit": EXACT_COUNT_LIMIT + 1}
    return {
        "submissions by status": (SUBMISSIONS_BY_STATUS, _limits()),
        "review backlog": (REVIEW_BACKLOG, {"sample": SCATTERED_COUNT_LIMIT}),
        "outbox backlog": (OUTBOX_BACKLOG, limit),
        "outbox published and failed (small outbox only)": (OUTBOX_SETTLED, {}),
        "callback inbox": (CALLBACKS, limit),
    }


def estimate_statements() -> list[tuple[str, Sql, dict[str, str]]]:
    """Every estimate a scrape may ask for, named, with its text and parameters (for
    benchmarks/metrics_scrape.py)."""
    return [
        *(
            (f"live submissions {s.value}", ESTIMATE_LIVE_SUBMISSIONS, {"status": s.value})
            for s in SubmissionStatus
        ),
        *((f"outbox {s.value}", ESTIMATE_OUTBOX_STATUS, {"status": s.value}) for s in OutboxStatus),
        ("outbox", ESTIMATE_OUTBOX, {}),
        ("processed_callbacks", ESTIMATE_CALLBACKS, {}),
    ]


def _limit_of(status: SubmissionStatus) -> int:
    return SCATTERED_COUNT_LIMIT if status in SCATTERED else EXACT_COUNT_LIMIT


def _limits() -> dict[str, int]:
    return {"limit": EXACT_COUNT_LIMIT + 1, "scattered": SCATTERED_COUNT_LIMIT + 1}


def _at_least_limit(estimate: int) -> int:
    # The exact count already passed the limit; a stale estimate must not say fewer.
    return max(estimate, EXACT_COUNT_LIMIT + 1)
