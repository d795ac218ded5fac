"""Named queries of the grading worker: lock a submission with what grading needs, store results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Question, Submission, SubmissionDetail
from domain.enums import QuestionFormat, Skill, SubmissionStatus


@dataclass(frozen=True)
class GradingInput:
    """A submission locked for grading, with its answer and question, as the database has them."""

    id: uuid.UUID
    user_id: uuid.UUID
    skill: Skill
    status: SubmissionStatus
    request_id: uuid.UUID | None
    attempt: int
    created_at: Any
    deleted_at: Any
    deadline: Any
    answer: dict[str, Any] | None
    question_format: QuestionFormat
    question_content: dict[str, Any]
    answer_key: dict[str, Any] | None


def submission_lock_for_grading(session: Session, *, id: uuid.UUID) -> GradingInput | None:
    """Lock the submission row (duplicate deliveries wait here, then see the new state).

    A soft-deleted submission is returned too, so the worker can say why it left it alone.
    """
    row = session.execute(
        sa.select(
            Submission.id,
            Submission.user_id,
            Submission.skill,
            Submission.status,
            Submission.request_id,
            Submission.attempt,
            Submission.created_at,
            Submission.deleted_at,
            Submission.deadline,
            SubmissionDetail.answer,
            Question.format,
            Question.content,
            Question.answer_key,
        )
        .join(Question, Question.id == Submission.question_id)
        .outerjoin(SubmissionDetail, SubmissionDetail.submission_id == Submission.id)
        .where(Submission.id == id)
        .with_for_update(of=Submission)
    ).one_or_none()
    return GradingInput(*row) if row is not None else None
