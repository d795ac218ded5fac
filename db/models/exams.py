"""exams, exam_sessions, exam_answers and exam_submissions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import (
    EXAM_STATUS,
    NOW,
    QUESTION_LEVEL,
    SKILL,
    Base,
    SoftDelete,
    Timestamps,
    fk,
    uuid_pk,
)
from domain.enums import ExamStatus, QuestionLevel, Skill

SCORE = sa.Numeric(3, 1)


class Exam(SoftDelete, Base):
    __tablename__ = "exams"
    __table_args__ = (
        sa.Index("exams_level_idx", "level"),
        sa.Index(
            "exams_active_idx",
            "level",
            postgresql_where=sa.text("is_active = true AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    level: Mapped[QuestionLevel] = mapped_column(QUESTION_LEVEL)
    blueprint: Mapped[dict[str, Any]] = mapped_column()
    is_active: Mapped[bool] = mapped_column(server_default=sa.text("true"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(fk("users.id", "SET NULL"))


class ExamSession(SoftDelete, Base):
    __tablename__ = "exam_sessions"
    __table_args__ = (
        sa.Index("exam_sessions_user_idx", "user_id"),
        sa.Index("exam_sessions_exam_id_idx", "exam_id"),
        sa.Index("exam_sessions_status_idx", "status"),
        sa.Index(
            "exam_sessions_user_status_idx",
            "user_id",
            "status",
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(fk("users.id", "CASCADE"))
    exam_id: Mapped[uuid.UUID] = mapped_column(fk("exams.id", "RESTRICT"))
    status: Mapped[ExamStatus] = mapped_column(EXAM_STATUS, server_default=sa.text("'in_progress'"))
    listening_score: Mapped[Decimal | None] = mapped_column(SCORE)
    reading_score: Mapped[Decimal | None] = mapped_column(SCORE)
    writing_score: Mapped[Decimal | None] = mapped_column(SCORE)
    speaking_score: Mapped[Decimal | None] = mapped_column(SCORE)
    overall_score: Mapped[Decimal | None] = mapped_column(SCORE)
    started_at: Mapped[datetime] = mapped_column(server_default=NOW)
    completed_at: Mapped[datetime | None] = mapped_column()


class ExamAnswer(Timestamps, Base):
    __tablename__ = "exam_answers"
    __table_args__ = (
        sa.Index("exam_answers_session_question_idx", "session_id", "question_id", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(fk("exam_sessions.id", "CASCADE"))
    question_id: Mapped[uuid.UUID] = mapped_column(fk("questions.id", "CASCADE"))
    answer: Mapped[dict[str, Any]] = mapped_column()
    is_correct: Mapped[bool | None] = mapped_column()


class ExamSubmission(Base):
    __tablename__ = "exam_submissions"
    __table_args__ = (
        sa.Index(
            "exam_submissions_session_submission_unique",
            "session_id",
            "submission_id",
            unique=True,
        ),
        sa.Index("exam_submissions_session_idx", "session_id"),
        sa.Index("exam_submissions_submission_idx", "submission_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(fk("exam_sessions.id", "CASCADE"))
    submission_id: Mapped[uuid.UUID] = mapped_column(fk("submissions.id", "CASCADE"))
    skill: Mapped[Skill] = mapped_column(SKILL)
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)
