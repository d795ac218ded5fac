"""grading.request outbox rows: written at intake, on a redispatch, on an operator's retry.

Every dispatch of a submission is an outbox row in the caller's transaction, with the
state change and the event that explain it, so a dispatch is never lost nor unexplained.
The payload is always rebuilt from the submission row, the system of record.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from db.models import OutboxRow, Submission, SubmissionEvent
from db.statements import Tx
from domain.events import EventKind
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST, GradingRequest

AGGREGATE_TYPE = "submission"


def outbox_add_grading_request(
    session: Tx, *, request: GradingRequest, outbox_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Insert the grading.request row for ``request``; its id (the message id to come)."""
    return session.execute(
        sa.insert(OutboxRow)
        .values(
            id=outbox_id or uuid.uuid4(),
            submission_id=request.submission_id,
            aggregate_type=AGGREGATE_TYPE,
            aggregate_id=request.submission_id,
            message_type=MESSAGE_TYPE_GRADING_REQUEST,
            payload=request.to_payload(),
        )
        .returning(OutboxRow.id)
    ).scalar_one()


def grading_request_of(session: Tx, *, submission_id: uuid.UUID) -> GradingRequest:
    """The request as the submission row has it now, with the trace id intake gave it.

    A submission written outside the contract may lack a deadline or a request id; its
    creation time and its own id stand in, so the message still validates.
    """
    submitted_trace = (
        sa.select(SubmissionEvent.data["traceId"].astext)
        .where(
            SubmissionEvent.submission_id == Submission.id,
            SubmissionEvent.kind == EventKind.SUBMITTED,
        )
        .order_by(SubmissionEvent.occurred_at)
        .limit(1)
        .scalar_subquery()
    )
    row = session.execute(
        sa.select(
            Submission.id,
            Submission.request_id,
            Submission.user_id,
            Submission.skill,
            Submission.attempt,
            sa.func.coalesce(Submission.deadline, Submission.created_at).label("deadline"),
            submitted_trace.label("trace_id"),
        ).where(Submission.id == submission_id)
    ).one()
    return GradingRequest(
        request_id=row.request_id or row.id,
        submission_id=row.id,
        user_id=row.user_id,
        skill=row.skill,
        attempt=max(1, row.attempt),
        deadline=row.deadline.astimezone(UTC),
        trace_id=row.trace_id or None,
    )


def submission_redispatch(
    session: Tx,
    *,
    submission_id: uuid.UUID,
    outbox_id: uuid.UUID | None = None,
    not_before: datetime | None = None,
) -> uuid.UUID:
    """A new grading.request row for the submission's current request; the outbox id.

    ``not_before`` (a retry's backoff) travels in the payload; the relay has the broker
    hold the message until then.
    """
    request = grading_request_of(session, submission_id=submission_id)
    if not_before is not None:
        request = request.model_copy(update={"not_before": not_before})
    return outbox_add_grading_request(session, request=request, outbox_id=outbox_id)
