"""Named queries of the scheduler's supervision duties: timeouts and stalled work.

Each duty runs in one transaction that first takes a transaction-level advisory lock
of its own, so two schedulers running by mistake do each thing once: the second finds
the lock taken and does nothing this round. Rows are locked too (SKIP LOCKED), so an
operator's command or a worker holding a submission is never waited on.

Event facts are correlated subqueries on ``submission_events``, each served by
submission_events_submission_idx (submission_id, occurred_at). ``now`` is given by tests
only; NULL is the database's clock.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from db.custom_plans import plan_each_call
from db.statements import Sql, Tx, execute
from domain.enums import OutboxStatus, SubmissionStatus
from domain.events import TRANSITION_EVENT, EventKind
from domain.failures import TIMEOUT
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from domain.states import STALL_ELIGIBLE, TIMEOUT_ELIGIBLE, allowed_sources

_S = SubmissionStatus

DUTY_LOCK = Sql("SELECT pg_try_advisory_xact_lock(%(key)s) AS taken")

# Up to :limit live submissions past their deadline, oldest deadline first, moved to
# failed, with the status and deadline they had.
FAIL_TIMED_OUT = Sql(
    """
    WITH due AS (
        SELECT s.id, s.status, s.deadline
        FROM submissions s
        WHERE s.status = ANY(CAST(%(eligible)s AS submission_status[]))
          AND s.deadline < coalesce(CAST(%(now)s AS timestamptz), now())
          AND s.deleted_at IS NULL
        ORDER BY s.deadline
        LIMIT %(limit)s
        FOR UPDATE OF s SKIP LOCKED
    )
    UPDATE submissions SET status = 'failed', updated_at = now()
    FROM due
    WHERE submissions.id = due.id
      AND submissions.status = ANY(CAST(%(eligible)s AS submission_status[]))
    RETURNING submissions.id, due.status, due.deadline
    """
)

# What a failed event records of the work done: the attempts made (processing events)
# and the newest error event's message, for each of :ids.
ATTEMPTS_AND_LAST_ERROR = Sql(
    """
    SELECT s.id,
           (SELECT count(*) FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(processing)s) AS attempts,
           (SELECT e.data ->> 'error' FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(error)s
            ORDER BY e.occurred_at DESC LIMIT 1) AS last_error
    FROM unnest(CAST(%(ids)s AS uuid[])) AS s (id)
    """
)

# Events of one kind for several submissions, each with its own data, in one statement.
EVENTS_APPEND = Sql(
    """
    INSERT INTO submission_events (submission_id, kind, data, occurred_at)
    SELECT appended.id, %(kind)s, appended.data, clock_timestamp()
    FROM unnest(CAST(%(ids)s AS uuid[]), CAST(%(data)s AS jsonb[])) AS appended (id, data)
    """
)

# Live submissions the stall rule picks, by id from :after (keyset pages). The newest
# grading.request row, through a lateral join, says whether the relay has sent it.
# Optional: :after, :ids (only these), :now.
SUBMISSIONS_STALLED = Sql(
    """
    SELECT s.id, s.status,
           extract(epoch FROM coalesce(CAST(%(now)s AS timestamptz), now()) - (
               SELECT max(e.occurred_at) FROM submission_events e WHERE e.submission_id = s.id
           )) AS stalled_seconds,
           (SELECT count(*) FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(redispatched)s) AS redispatch_count,
           (SELECT e.kind FROM submission_events e WHERE e.submission_id = s.id
            ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT 1) AS last_event_kind,
           newest_request.id AS last_message_id
    FROM submissions s
    LEFT JOIN LATERAL (
        SELECT o.id, o.status FROM outbox o
        WHERE o.submission_id = s.id AND o.message_type = %(grading_request)s
        ORDER BY o.created_at DESC
        LIMIT 1
    ) AS newest_request ON true
    WHERE s.status = ANY(CAST(%(eligible)s AS submission_status[]))
      AND s.deleted_at IS NULL
      AND (s.deadline IS NULL OR s.deadline > coalesce(CAST(%(now)s AS timestamptz), now()))
      AND (SELECT max(e.occurred_at) FROM submission_events e WHERE e.submission_id = s.id)
          <= coalesce(CAST(%(now)s AS timestamptz), now())
             - make_interval(secs => %(stall_seconds)s)
      -- A request still in the outbox is the relay's to send, not lost.
      AND (newest_request.status IS NULL
           OR newest_request.status <> ALL(CAST(%(unsent)s AS outbox_status[])))
      AND (CAST(%(after)s AS uuid) IS NULL OR s.id > %(after)s)
      AND (CAST(%(ids)s AS uuid[]) IS NULL OR s.id = ANY(%(ids)s))
    ORDER BY s.id
    LIMIT %(limit)s
    """
)

# The stall duty's lock on a page it read: rows another transaction holds are skipped.
STALLED_LOCK = Sql(
    """
    SELECT id FROM submissions
    WHERE id = ANY(CAST(%(ids)s AS uuid[]))
    ORDER BY id
    FOR UPDATE SKIP LOCKED
    """
)


def duty_lock(session: Tx, *, duty: str) -> bool:
    """Take the duty's advisory lock for this transaction; False when another holds it."""
    key = zlib.crc32(f"vstep-grading:{duty}".encode())
    row = execute(session, DUTY_LOCK, {"key": key}).fetchone()
    return row is not None and bool(row.taken)


@dataclass(frozen=True)
class TimedOut:
    id: uuid.UUID
    previous_status: SubmissionStatus
    deadline: datetime


def submissions_fail_timed_out(
    session: Tx, *, limit: int, now: datetime | None = None
) -> list[TimedOut]:
    """Fail up to ``limit`` live submissions past their deadline (failureReason TIMEOUT).

    review_pending is not among the eligible states: a person is on it.
    """
    assert allowed_sources(_S.FAILED) >= TIMEOUT_ELIGIBLE
    params = {
        "eligible": sorted(status.value for status in TIMEOUT_ELIGIBLE),
        "now": now,
        "limit": limit,
    }
    moved = execute(session, FAIL_TIMED_OUT, params).fetchall()
    if moved:
        facts = _attempts_and_last_error(session, [row.id for row in moved])
        data = [
            {
                "failureReason": TIMEOUT,
                "attemptsMade": facts[row.id][0],
                "lastError": facts[row.id][1],
                "previousStatus": row.status,
                "deadline": row.deadline.isoformat(),
            }
            for row in moved
        ]
        execute(
            session,
            EVENTS_APPEND,
            {
                "kind": TRANSITION_EVENT[_S.FAILED].value,
                "ids": [row.id for row in moved],
                "data": [Jsonb(d) for d in data],
            },
        )
    return [TimedOut(row.id, _S(row.status), row.deadline) for row in moved]


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
    session: Tx,
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
    page, never hides a stalled submission behind it. With ``lock``, the rows returned
    are locked for this transaction; one another transaction holds is left out.
    """
    plan_each_call(session)
    params: dict[str, Any] = {
        "redispatched": EventKind.REDISPATCHED.value,
        "grading_request": MESSAGE_TYPE_GRADING_REQUEST,
        "eligible": sorted(status.value for status in STALL_ELIGIBLE),
        "unsent": [OutboxStatus.PENDING.value, OutboxStatus.PROCESSING.value],
        "stall_seconds": float(stall_seconds),
        "now": now,
        "after": after,
        "ids": None,
        "limit": limit,
    }
    rows = execute(session, SUBMISSIONS_STALLED, params).fetchall()
    if lock:
        rows = _locked(session, params, rows)
    facts = _attempts_and_last_error(session, [row.id for row in rows]) if rows else {}
    return [
        Stalled(
            **row._asdict()
            | {"status": _S(row.status), "stalled_seconds": float(row.stalled_seconds)},
            attempts_made=facts[row.id][0],
            last_error=facts[row.id][1],
        )
        for row in rows
    ]


def _attempts_and_last_error(
    session: Tx, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, str | None]]:
    params = {"processing": EventKind.PROCESSING.value, "error": EventKind.ERROR.value, "ids": ids}
    rows = execute(session, ATTEMPTS_AND_LAST_ERROR, params)
    return {row.id: (int(row.attempts), row.last_error) for row in rows}


def _locked(session: Tx, params: dict[str, Any], rows: list[Any]) -> list[Any]:
    """The page's rows this transaction could lock, read again under the lock (what changed
    before it was taken is seen, as FOR UPDATE's recheck would see it), topped up past the
    page while rows another transaction holds were left out."""
    limit: int = params["limit"]
    kept: list[Any] = []
    while rows:
        locked = execute(session, STALLED_LOCK, {"ids": [row.id for row in rows]}).fetchall()
        if locked:
            again = {**params, "ids": [row.id for row in locked], "after": None}
            kept += execute(session, SUBMISSIONS_STALLED, again).fetchall()
        if len(rows) < params["limit"] or len(kept) >= limit:
            break
        params = {**params, "after": rows[-1].id, "limit": limit - len(kept)}
        rows = execute(session, SUBMISSIONS_STALLED, params).fetchall()
    return kept
