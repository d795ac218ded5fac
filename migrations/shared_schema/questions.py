"""questions and question_versions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shared_schema.ddl import (
    Index,
    create_indexes,
    drop_tables,
    generated_id,
    references,
    stamped_now,
    timestamps,
)
from migrations.shared_schema.enums import enum

TABLES = ("questions", "question_versions")

INDEXES = (
    Index(
        "questions_active_idx",
        "questions",
        ("skill", "level"),
        where="is_active = true AND deleted_at IS NULL",
    ),
    Index("questions_created_by_idx", "questions", ("created_by",)),
    Index("questions_format_idx", "questions", ("format",)),
    Index(
        "question_versions_unique_idx",
        "question_versions",
        ("question_id", "version"),
        unique=True,
    ),
)


def create() -> None:
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
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        *timestamps(),
        references("questions_created_by_fkey", "created_by", "users", "SET NULL"),
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
        references("question_versions_question_id_fkey", "question_id", "questions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("question_versions_pkey")),
    )
    create_indexes(INDEXES)


def drop() -> None:
    drop_tables(TABLES, INDEXES)
