"""exams, exam_sessions, exam_answers and exam_submissions (after submissions: it links
a session's parts to them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shared_schema.columns import fk, generated_id, soft_delete, stamped_now, timestamps
from migrations.shared_schema.enums import enum
from migrations.shared_schema.indexes import LIVE, LIVE_AND_ACTIVE, Index

TABLES = ("exams", "exam_sessions", "exam_answers", "exam_submissions")

INDEXES = (
    Index("exams_active_idx", "exams", ("level",), where=LIVE_AND_ACTIVE),
    Index("exams_level_idx", "exams", ("level",)),
    Index("exam_sessions_exam_id_idx", "exam_sessions", ("exam_id",)),
    Index("exam_sessions_status_idx", "exam_sessions", ("status",)),
    Index("exam_sessions_user_idx", "exam_sessions", ("user_id",)),
    Index("exam_sessions_user_status_idx", "exam_sessions", ("user_id", "status"), where=LIVE),
    Index(
        "exam_answers_session_question_idx",
        "exam_answers",
        ("session_id", "question_id"),
        unique=True,
    ),
    Index("exam_submissions_session_idx", "exam_submissions", ("session_id",)),
    Index(
        "exam_submissions_session_submission_unique",
        "exam_submissions",
        ("session_id", "submission_id"),
        unique=True,
    ),
    Index("exam_submissions_submission_idx", "exam_submissions", ("submission_id",)),
)


def _score(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(precision=3, scale=1), nullable=True)


def create_tables() -> None:
    op.create_table(
        "exams",
        generated_id(),
        sa.Column("level", enum("question_level"), nullable=False),
        sa.Column("blueprint", postgresql.JSONB(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        *soft_delete(),
        fk("exams_created_by_fkey", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("exams_pkey")),
    )
    op.create_table(
        "exam_sessions",
        generated_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            enum("exam_status"),
            server_default=sa.text("'in_progress'"),
            nullable=False,
        ),
        _score("listening_score"),
        _score("reading_score"),
        _score("writing_score"),
        _score("speaking_score"),
        _score("overall_score"),
        stamped_now("started_at"),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *soft_delete(),
        fk("exam_sessions_exam_id_fkey", "exam_id", "exams", "RESTRICT"),
        fk("exam_sessions_user_id_fkey", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("exam_sessions_pkey")),
    )
    op.create_table(
        "exam_answers",
        generated_id(),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("answer", postgresql.JSONB(), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=True),
        *timestamps(),
        fk("exam_answers_question_id_fkey", "question_id", "questions", "CASCADE"),
        fk("exam_answers_session_id_fkey", "session_id", "exam_sessions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("exam_answers_pkey")),
    )
    op.create_table(
        "exam_submissions",
        generated_id(),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("skill", enum("skill"), nullable=False),
        stamped_now("created_at"),
        fk("exam_submissions_session_id_fkey", "session_id", "exam_sessions", "CASCADE"),
        fk("exam_submissions_submission_id_fkey", "submission_id", "submissions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("exam_submissions_pkey")),
    )
