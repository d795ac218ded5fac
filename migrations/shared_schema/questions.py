"""questions and question_versions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shared_schema.columns import fk, generated_id, soft_delete, stamped_now
from migrations.shared_schema.enums import enum
from migrations.shared_schema.indexes import LIVE_AND_ACTIVE, Index

TABLES = ("questions", "question_versions")

INDEXES = (
    Index("questions_active_idx", "questions", ("skill", "level"), where=LIVE_AND_ACTIVE),
    Index("questions_created_by_idx", "questions", ("created_by",)),
    Index("questions_format_idx", "questions", ("format",)),
    Index(
        "question_versions_unique_idx", "question_versions", ("question_id", "version"), unique=True
    ),
)


def create_tables() -> None:
    op.create_table(
        "questions",
        generated_id(),
        sa.Column("skill", enum("skill"), nullable=False),
        sa.Column("level", enum("question_level"), nullable=False),
        sa.Column("format", enum("question_format"), nullable=False),
        sa.Column("content", postgresql.JSONB(), nullable=False),
        sa.Column("answer_key", postgresql.JSONB(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        *soft_delete(),
        fk("questions_created_by_fkey", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("questions_pkey")),
    )
    op.create_table(
        "question_versions",
        generated_id(),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", postgresql.JSONB(), nullable=False),
        sa.Column("answer_key", postgresql.JSONB(), nullable=True),
        stamped_now("created_at"),
        fk("question_versions_question_id_fkey", "question_id", "questions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("question_versions_pkey")),
    )
