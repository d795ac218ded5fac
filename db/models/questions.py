"""questions and question_versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import (
    NOW,
    QUESTION_FORMAT,
    QUESTION_LEVEL,
    SKILL,
    Base,
    SoftDelete,
    fk,
    uuid_pk,
)
from domain.enums import QuestionFormat, QuestionLevel, Skill


class Question(SoftDelete, Base):
    __tablename__ = "questions"
    __table_args__ = (
        sa.Index(
            "questions_active_idx",
            "skill",
            "level",
            postgresql_where=sa.text("is_active = true AND deleted_at IS NULL"),
        ),
        sa.Index("questions_format_idx", "format"),
        sa.Index("questions_created_by_idx", "created_by"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    skill: Mapped[Skill] = mapped_column(SKILL)
    level: Mapped[QuestionLevel] = mapped_column(QUESTION_LEVEL)
    format: Mapped[QuestionFormat] = mapped_column(QUESTION_FORMAT)
    content: Mapped[dict[str, Any]] = mapped_column()
    # objective formats only: {"correctAnswers": {"1": "A", ...}}
    answer_key: Mapped[dict[str, Any] | None] = mapped_column()
    version: Mapped[int] = mapped_column(server_default=sa.text("1"))
    is_active: Mapped[bool] = mapped_column(server_default=sa.text("true"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(fk("users.id", "SET NULL"))


class QuestionVersion(Base):
    __tablename__ = "question_versions"
    __table_args__ = (
        sa.Index("question_versions_unique_idx", "question_id", "version", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    question_id: Mapped[uuid.UUID] = mapped_column(fk("questions.id", "CASCADE"))
    version: Mapped[int] = mapped_column()
    content: Mapped[dict[str, Any]] = mapped_column()
    answer_key: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)
