"""An operator's retry of a submission: failed (or stalled) work goes through the pipeline again.

A failed submission takes the operator's move failed -> pending, with a fresh SLA
deadline; a stalled one keeps its state. Either way a new grading.request row for the
same request id is written with an ``operator_retried`` event saying who and why, in the
caller's transaction. ``outbox retry`` of a failed grading.request row reopens its
failed submission the same way, without a second row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.dispatch import submission_redispatch
from db.statements import Sql, Tx, execute
from db.submissions import submission_event_append, submission_transition
from domain.enums import Skill, SubmissionStatus
from domain.events import EventKind
from domain.retries import FRESH_BUDGET
from domain.sla import DEFAULT_SLA
from domain.states import STALL_ELIGIBLE

_S = SubmissionStatus


@dataclass(frozen=True)
class SubmissionRetried:
    id: uuid.UUID
    previous_status: SubmissionStatus
    # None on a dry run: nothing was written.
    outbox_id: uuid.UUID | None


@dataclass(frozen=True)
class SubmissionRetrySkipped:
    id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class SubmissionRetryOutcome:
    retried: list[SubmissionRetried]
    skipped: list[SubmissionRetrySkipped]


# What a reopening needs: the failure it reopens, the skill (its SLA), the database clock.
REOPEN_FACTS = Sql("""
    SELECT s.skill, now() AS now,
           (SELECT e.data ->> 'failureReason' FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(failed)s
            ORDER BY e.occurred_at DESC LIMIT 1) AS failure_reason
    FROM submissions s
    WHERE s.id = %(id)s
""")


def submission_reopen(
    session: Tx,
    *,
    id: uuid.UUID,
    by: str,
    note: str | None = None,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
    data: Mapping[str, Any] | None = None,
) -> bool:
    """failed -> pending with a fresh deadline and an operator_retried event, which starts
    a fresh retry budget (``retryBudget``, domain/retries.py); True if moved."""
    found = execute(session, REOPEN_FACTS, {"id": id, "failed": EventKind.FAILED.value}).fetchone()
    if found is None:
        return False
    previous, skill, now = found.failure_reason, Skill(found.skill), found.now
    return submission_transition(
        session,
        id=id,
        to=_S.PENDING,
        # The SLA runs on the database's clock, from the reopening transaction's start.
        values={"deadline": now + sla[skill], "completed_at": None, "is_late": False},
        data={
            "by": by,
            "note": note,
            "previousStatus": _S.FAILED.value,
            "previousFailureReason": previous,
            **FRESH_BUDGET,
            **dict(data or {}),
        },
    )


# The submissions an operator's retry names, or every one its filters match (none when
# ids are given: the ids alone choose, deleted ones too, to say why they are skipped).
RETRY_CANDIDATES = Sql("""
    SELECT s.id, s.status, s.deleted_at, c.now,
           (SELECT max(e.occurred_at) FROM submission_events e
            WHERE e.submission_id = s.id) AS last_event_at,
           (SELECT e.data ->> 'failureReason' FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = %(failed)s
            ORDER BY e.occurred_at DESC LIMIT 1) AS failure_reason
    FROM submissions s,
         (SELECT coalesce(CAST(%(now)s AS timestamptz), now()) AS now) c
    WHERE CASE WHEN CAST(%(ids)s AS uuid[]) IS NOT NULL
               THEN s.id = ANY(CAST(%(ids)s AS uuid[]))
               ELSE s.deleted_at IS NULL
                    AND (CAST(%(status)s AS submission_status) IS NULL
                         OR s.status = CAST(%(status)s AS submission_status))
                    AND (CAST(%(skill)s AS skill) IS NULL OR s.skill = CAST(%(skill)s AS skill))
                    AND (CAST(%(older_than)s AS interval) IS NULL
                         OR s.updated_at < c.now - CAST(%(older_than)s AS interval))
          END
    ORDER BY s.created_at, s.id
    LIMIT %(limit)s
    FOR UPDATE OF s
""")


@dataclass(frozen=True)
class _Candidate:
    id: uuid.UUID
    status: SubmissionStatus
    deleted_at: datetime | None
    now: datetime
    last_event_at: datetime | None
    failure_reason: str | None


def _candidate(row: Any) -> _Candidate:
    return _Candidate(
        row.id,
        SubmissionStatus(row.status),
        row.deleted_at,
        row.now,
        row.last_event_at,
        row.failure_reason,
    )


def submission_retry(
    session: Tx,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    status: SubmissionStatus | None = None,
    failure_reason: str | None = None,
    skill: Skill | None = None,
    older_than: timedelta | None = None,
    stall_seconds: float,
    by: str,
    note: str | None = None,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
    dry_run: bool = False,
    now: datetime | None = None,
    limit: int = 10_000,
) -> SubmissionRetryOutcome:
    """Retry the named submissions, or every one matching the filters.

    Failed ones are reopened; ones in queued|processing|retrying with no event for
    ``stall_seconds`` are dispatched again; any other is skipped with the reason.
    """
    params = {
        "ids": list(dict.fromkeys(ids)) if ids is not None else None,
        "status": status.value if status is not None else None,
        "skill": skill.value if skill is not None else None,
        "older_than": older_than,
        "now": now,
        "limit": limit,
        "failed": EventKind.FAILED.value,
    }
    found = execute(session, RETRY_CANDIDATES, params).fetchall()
    rows = {row.id: _candidate(row) for row in found}
    retried: list[SubmissionRetried] = []
    skipped: list[SubmissionRetrySkipped] = []
    for id_ in list(dict.fromkeys(ids)) if ids is not None else list(rows):
        row = rows.get(id_)
        reason = _why_not(row, failure_reason=failure_reason, stall_seconds=stall_seconds)
        if reason is not None:
            if ids is not None:  # a filter's non-matches are not news
                skipped.append(SubmissionRetrySkipped(id_, reason))
            continue
        assert row is not None
        outbox_id = None
        if not dry_run:
            outbox_id = _retry_one(session, row.id, row.status, by=by, note=note, sla=sla)
        retried.append(SubmissionRetried(row.id, row.status, outbox_id))
    return SubmissionRetryOutcome(retried=retried, skipped=skipped)


def _why_not(
    row: _Candidate | None, *, failure_reason: str | None, stall_seconds: float
) -> str | None:
    """Why a submission is not retried, or None when it is."""
    if row is None:
        return "no such submission"
    if row.deleted_at is not None:
        return "submission is deleted"
    if failure_reason is not None and row.failure_reason != failure_reason:
        return f"failure reason is {row.failure_reason}, not {failure_reason}"
    if row.status == _S.FAILED:
        return None
    if row.status in STALL_ELIGIBLE:
        quiet = (row.now - row.last_event_at).total_seconds() if row.last_event_at else None
        if quiet is None or quiet >= stall_seconds:
            return None
        return f"status is {row.status.value} and its last event is {quiet:.0f} s old (not stalled)"
    return f"status is {row.status.value}"


def _retry_one(
    session: Tx,
    id: uuid.UUID,
    status: SubmissionStatus,
    *,
    by: str,
    note: str | None,
    sla: Mapping[Skill, timedelta],
) -> uuid.UUID:
    outbox_id = uuid.uuid4()
    if status == _S.FAILED:
        # Reopened first: the new row's payload carries the fresh deadline.
        submission_reopen(
            session, id=id, by=by, note=note, sla=sla, data={"outboxId": str(outbox_id)}
        )
    else:
        submission_event_append(
            session,
            submission_id=id,
            kind=EventKind.OPERATOR_RETRIED,
            data={
                "by": by,
                "note": note,
                "previousStatus": status.value,
                "outboxId": str(outbox_id),
                **FRESH_BUDGET,
            },
        )
    submission_redispatch(session, submission_id=id, outbox_id=outbox_id)
    return outbox_id
