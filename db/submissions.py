"""Named queries on submissions and their append-only event log.

Every status change is one guarded UPDATE (``WHERE status IN allowed_sources``) plus
its event, in the caller's transaction: a transition that is not allowed changes
nothing, because duplicate and late deliveries are normal.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Submission, SubmissionEvent
from domain.enums import SubmissionStatus
from domain.states import allowed_sources

# now() is the transaction's start: several events of one transaction would tie and the
# timeline would lose its order, so events take the wall clock of their own insert.
EVENT_TIME = sa.func.clock_timestamp()

# The event kind each transition appends (pipeline.md "Event kinds").
TRANSITION_EVENT: Mapping[SubmissionStatus, str] = {
    # Only an operator's retry enters pending again (intake inserts it).
    SubmissionStatus.PENDING: "operator_retried",
    SubmissionStatus.QUEUED: "queued",
    SubmissionStatus.PROCESSING: "processing",
    SubmissionStatus.COMPLETED: "completed",
    SubmissionStatus.REVIEW_PENDING: "review_requested",
    SubmissionStatus.ERROR: "error",
    SubmissionStatus.RETRYING: "retrying",
    SubmissionStatus.FAILED: "failed",
}


def submission_event_append(
    session: Session, *, submission_id: uuid.UUID, kind: str, data: Mapping[str, Any] | None = None
) -> None:
    session.execute(
        sa.insert(SubmissionEvent).values(
            submission_id=submission_id,
            kind=kind,
            data=dict(data) if data is not None else None,
            occurred_at=EVENT_TIME,
        )
    )


def submission_transition(
    session: Session,
    *,
    id: uuid.UUID,
    to: SubmissionStatus,
    data: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    event_kind: str | None = None,
) -> bool:
    """Move one submission to ``to`` if its state allows; True when it moved."""
    moved = session.execute(
        sa.update(Submission)
        .where(Submission.id == id, Submission.status.in_(allowed_sources(to)))
        .values(status=to, updated_at=sa.func.now(), **dict(values or {}))
        .returning(Submission.id)
    ).scalar_one_or_none()
    if moved is None:
        return False
    submission_event_append(
        session, submission_id=id, kind=event_kind or TRANSITION_EVENT[to], data=data
    )
    return True


def submission_transition_many(
    session: Session,
    *,
    ids: Sequence[uuid.UUID],
    to: SubmissionStatus,
    data_by_id: Mapping[uuid.UUID, Mapping[str, Any]],
) -> list[uuid.UUID]:
    """Move many submissions at once (the relay's pending -> queued); returns those moved."""
    if not ids:
        return []
    moved = list(
        session.execute(
            sa.update(Submission)
            .where(Submission.id.in_(ids), Submission.status.in_(allowed_sources(to)))
            .values(status=to, updated_at=sa.func.now())
            .returning(Submission.id)
        ).scalars()
    )
    if moved:
        session.execute(
            sa.insert(SubmissionEvent).values(occurred_at=EVENT_TIME),
            [
                {
                    "submission_id": sid,
                    "kind": TRANSITION_EVENT[to],
                    "data": dict(data_by_id.get(sid, {})),
                }
                for sid in moved
            ],
        )
    return moved


def submission_events_recent(
    session: Session, *, submission_id: uuid.UUID, limit: int | None = 50
) -> list[SubmissionEvent]:
    """The submission's events oldest first: the last ``limit`` of them, or all with None.

    event_id breaks ties between events of the same instant, so the order is stable.
    """
    newest = (
        sa.select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission_id)
        .order_by(SubmissionEvent.occurred_at.desc(), SubmissionEvent.event_id.desc())
        .limit(limit)
        .subquery()
    )
    event = sa.orm.aliased(SubmissionEvent, newest)
    rows = session.execute(sa.select(event).order_by(event.occurred_at, event.event_id)).scalars()
    return list(rows)
