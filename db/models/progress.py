"""user_progress, user_skill_scores and user_goals."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import (
    NOW,
    QUESTION_LEVEL,
    SKILL,
    STREAK_DIRECTION,
    VSTEP_BAND,
    Base,
    Timestamps,
    fk,
    uuid_pk,
)
from domain.enums import QuestionLevel, Skill, StreakDirection, VstepBand


class UserProgress(Timestamps, Base):
    __tablename__ = "user_progress"
    __table_args__ = (sa.Index("user_progress_user_skill_idx", "user_id", "skill", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(fk("users.id", "CASCADE"))
    skill: Mapped[Skill] = mapped_column(SKILL)
    current_level: Mapped[QuestionLevel] = mapped_column(QUESTION_LEVEL)
    target_level: Mapped[QuestionLevel | None] = mapped_column(QUESTION_LEVEL)
    scaffold_level: Mapped[int] = mapped_column(server_default=sa.text("1"))
    streak_count: Mapped[int] = mapped_column(server_default=sa.text("0"))
    streak_direction: Mapped[StreakDirection | None] = mapped_column(STREAK_DIRECTION)
    attempt_count: Mapped[int] = mapped_column(server_default=sa.text("0"))


class UserSkillScore(Base):
    __tablename__ = "user_skill_scores"
    __table_args__ = (
        sa.Index("user_skill_scores_user_skill_idx", "user_id", "skill", "created_at"),
        # An addition to the shared schema (migration 0004): a score counts once per submission.
        sa.Index("user_skill_scores_submission_unique", "submission_id", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(fk("users.id", "CASCADE"))
    skill: Mapped[Skill] = mapped_column(SKILL)
    submission_id: Mapped[uuid.UUID] = mapped_column(fk("submissions.id", "CASCADE"))
    score: Mapped[Decimal] = mapped_column(sa.Numeric(3, 1))
    scaffolding_type: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)


class UserGoal(Timestamps, Base):
    __tablename__ = "user_goals"
    __table_args__ = (sa.Index("user_goals_user_idx", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(fk("users.id", "CASCADE"))
    target_band: Mapped[VstepBand] = mapped_column(VSTEP_BAND)
    current_estimated_band: Mapped[str | None] = mapped_column(sa.String(10))
    deadline: Mapped[datetime | None] = mapped_column()
    daily_study_time_minutes: Mapped[int] = mapped_column(server_default=sa.text("30"))
