"""Facts about a submission read from its event log, as correlated subqueries.

Each is a scalar subquery on ``submissions.id``, for a SELECT over submissions; the
index submission_events_submission_idx (submission_id, occurred_at) serves them all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from db.models import Submission, SubmissionEvent


def last_event_at() -> sa.ScalarSelect[datetime]:
    """When the submission's newest event happened."""
    return (
        sa.select(sa.func.max(SubmissionEvent.occurred_at))
        .where(SubmissionEvent.submission_id == Submission.id)
        .scalar_subquery()
    )


def count_of(kind: str) -> sa.ScalarSelect[int]:
    """How many events of ``kind`` the submission has (``processing``: attempts made)."""
    return (
        sa.select(sa.func.count())
        .where(SubmissionEvent.submission_id == Submission.id, SubmissionEvent.kind == kind)
        .scalar_subquery()
    )


def latest_data(kind: str, key: str) -> sa.ScalarSelect[str]:
    """``data->>key`` of the newest event of ``kind`` (the last error, failure reason)."""
    return (
        sa.select(SubmissionEvent.data[key].astext)
        .where(SubmissionEvent.submission_id == Submission.id, SubmissionEvent.kind == kind)
        .order_by(SubmissionEvent.occurred_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def latest_kind() -> sa.ScalarSelect[str]:
    """The kind of the submission's newest event."""
    return (
        sa.select(SubmissionEvent.kind)
        .where(SubmissionEvent.submission_id == Submission.id)
        .order_by(SubmissionEvent.occurred_at.desc(), SubmissionEvent.event_id.desc())
        .limit(1)
        .scalar_subquery()
    )
