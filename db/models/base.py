"""Declarative base, the shared enum column types and the column sets of docs/data-model.md."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain import enums

# Alembic and the models share these names, so constraint names never depend on luck.
NAMING_CONVENTION = {
    "ix": "%(table_name)s_%(column_0_N_name)s_idx",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


def pg_enum(enum_cls: type[StrEnum], name: str) -> sa.Enum:
    """A PostgreSQL enum storing the members' values (not their Python names)."""
    return sa.Enum(
        enum_cls,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


SKILL = pg_enum(enums.Skill, "skill")
VSTEP_BAND = pg_enum(enums.VstepBand, "vstep_band")
USER_ROLE = pg_enum(enums.UserRole, "user_role")
QUESTION_FORMAT = pg_enum(enums.QuestionFormat, "question_format")
QUESTION_LEVEL = pg_enum(enums.QuestionLevel, "question_level")
SUBMISSION_STATUS = pg_enum(enums.SubmissionStatus, "submission_status")
REVIEW_PRIORITY = pg_enum(enums.ReviewPriority, "review_priority")
GRADING_MODE = pg_enum(enums.GradingMode, "grading_mode")
EXAM_STATUS = pg_enum(enums.ExamStatus, "exam_status")
STREAK_DIRECTION = pg_enum(enums.StreakDirection, "streak_direction")
OUTBOX_STATUS = pg_enum(enums.OutboxStatus, "outbox_status")

ALL_ENUMS: tuple[sa.Enum, ...] = (
    SKILL,
    VSTEP_BAND,
    USER_ROLE,
    QUESTION_FORMAT,
    QUESTION_LEVEL,
    SUBMISSION_STATUS,
    REVIEW_PRIORITY,
    GRADING_MODE,
    EXAM_STATUS,
    STREAK_DIRECTION,
    OUTBOX_STATUS,
)

NOW = sa.text("now()")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        uuid.UUID: UUID(as_uuid=True),
        datetime: sa.DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, server_default=sa.text("gen_random_uuid()"))


def fk(target: str, ondelete: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


class Timestamps:
    """created_at / updated_at; a trigger keeps updated_at current for every writer."""

    created_at: Mapped[datetime] = mapped_column(server_default=NOW)
    updated_at: Mapped[datetime] = mapped_column(server_default=NOW, onupdate=sa.func.now())


class SoftDelete(Timestamps):
    """Soft-deleted rows stay; "live" means deleted_at IS NULL."""

    deleted_at: Mapped[datetime | None] = mapped_column()
