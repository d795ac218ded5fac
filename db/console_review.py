"""The review workspace's reads beyond the queue itself (``db/review_queue.py``).

Counts of what waits (by priority and skill, and the reviewer's own live claims) read
only review_pending rows through ``submissions_review_queue_idx``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Submission, SubmissionDetail
from domain.enums import ReviewPriority, Skill, SubmissionStatus


@dataclass(frozen=True)
class QueueCounts:
    by_priority: dict[ReviewPriority | None, int]
    by_skill: dict[Skill, int]
    total: int


def review_counts(session: Session) -> QueueCounts:
    rows = session.execute(
        sa.select(Submission.review_priority, Submission.skill, sa.func.count())
        .where(
            Submission.status == SubmissionStatus.REVIEW_PENDING, Submission.deleted_at.is_(None)
        )
        .group_by(Submission.review_priority, Submission.skill)
    ).all()
    by_priority: dict[ReviewPriority | None, int] = {}
    by_skill: dict[Skill, int] = {}
    for priority, skill, count in rows:
        by_priority[priority] = by_priority.get(priority, 0) + count
        by_skill[skill] = by_skill.get(skill, 0) + count
    return QueueCounts(by_priority, by_skill, sum(by_skill.values()))


def answer_of(session: Session, *, submission_id: uuid.UUID) -> dict[str, Any] | None:
    """Another submission's answer (the closest text of a copy signal)."""
    return session.execute(
        sa.select(SubmissionDetail.answer).where(SubmissionDetail.submission_id == submission_id)
    ).scalar_one_or_none()
