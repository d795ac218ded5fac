"""user_goals, user_progress and user_skill_scores (after submissions: a score names the
submission it came from)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations.shared_schema.columns import fk, generated_id, stamped_now, timestamps
from migrations.shared_schema.enums import enum
from migrations.shared_schema.indexes import Index

TABLES = ("user_goals", "user_progress", "user_skill_scores")

INDEXES = (
    Index("user_goals_user_idx", "user_goals", ("user_id",)),
    Index("user_progress_user_skill_idx", "user_progress", ("user_id", "skill"), unique=True),
    Index(
        "user_skill_scores_user_skill_idx", "user_skill_scores", ("user_id", "skill", "created_at")
    ),
)


def create_tables() -> None:
    op.create_table(
        "user_goals",
        generated_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("target_band", enum("vstep_band"), nullable=False),
        sa.Column("current_estimated_band", sa.String(length=10), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "daily_study_time_minutes", sa.Integer(), server_default=sa.text("30"), nullable=False
        ),
        *timestamps(),
        fk("user_goals_user_id_fkey", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("user_goals_pkey")),
    )
    op.create_table(
        "user_progress",
        generated_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("skill", enum("skill"), nullable=False),
        sa.Column("current_level", enum("question_level"), nullable=False),
        sa.Column("target_level", enum("question_level"), nullable=True),
        sa.Column("scaffold_level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("streak_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("streak_direction", enum("streak_direction"), nullable=True),
        sa.Column("attempt_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        *timestamps(),
        fk("user_progress_user_id_fkey", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("user_progress_pkey")),
    )
    op.create_table(
        "user_skill_scores",
        generated_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("skill", enum("skill"), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("score", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("scaffolding_type", sa.String(length=20), nullable=True),
        stamped_now("created_at"),
        fk("user_skill_scores_submission_id_fkey", "submission_id", "submissions", "CASCADE"),
        fk("user_skill_scores_user_id_fkey", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("user_skill_scores_pkey")),
    )
