"""Operators' read-only named queries on submissions: one with its timeline, or a filtered list.

The pipeline's writes (transitions, events) are in ``db/submissions.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.callbacks import CallbackRecord, callbacks_list
from db.models import Submission, SubmissionDetail, SubmissionEvent
from db.submissions import submission_events_recent
from domain.enums import Skill, SubmissionStatus


@dataclass(frozen=True)
class SubmissionRecord:
    """A submission, its grading result (None until graded) and its events, oldest first."""

    submission: Submission
    result: dict[str, Any] | None
    events: list[SubmissionEvent]
    callbacks: list[CallbackRecord]


def submission_get(session: Session, *, id: uuid.UUID) -> SubmissionRecord | None:
    """The submission ``id``, soft-deleted or not, with its whole event log; None if absent."""
    submission = session.get(Submission, id)
    if submission is None:
        return None
    result = session.execute(
        sa.select(SubmissionDetail.result).where(SubmissionDetail.submission_id == id)
    ).scalar_one_or_none()
    events = submission_events_recent(session, submission_id=id, limit=None)
    callbacks = callbacks_list(session, submission_id=id, limit=1000)
    return SubmissionRecord(
        submission=submission, result=result, events=events, callbacks=callbacks
    )


def submission_list(
    session: Session,
    *,
    status: SubmissionStatus | None = None,
    user_id: uuid.UUID | None = None,
    skill: Skill | None = None,
    include_deleted: bool = False,
    limit: int = 50,
) -> list[Submission]:
    """Submissions newest first, live ones only unless ``include_deleted``, each filter ANDed."""
    query = sa.select(Submission).order_by(Submission.created_at.desc(), Submission.id).limit(limit)
    if not include_deleted:
        query = query.where(Submission.deleted_at.is_(None))
    if status is not None:
        query = query.where(Submission.status == status)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    if skill is not None:
        query = query.where(Submission.skill == skill)
    return list(session.execute(query).scalars())
