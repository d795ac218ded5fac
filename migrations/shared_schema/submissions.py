"""submissions, submission_details and submission_events."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shared_schema.columns import fk, generated_id, soft_delete, stamped_now, timestamps
from migrations.shared_schema.enums import enum
from migrations.shared_schema.indexes import LIVE, Index

TABLES = ("submissions", "submission_details", "submission_events")

INDEXES = (
    Index("submissions_question_id_idx", "submissions", ("question_id",)),
    Index("submissions_request_id_unique", "submissions", ("request_id",), unique=True),
    Index(
        "submissions_review_queue_idx",
        "submissions",
        ("status", "confidence"),
        where="status = 'review_pending' AND deleted_at IS NULL",
    ),
    Index("submissions_skill_idx", "submissions", ("skill",)),
    Index("submissions_status_idx", "submissions", ("status",)),
    Index("submissions_user_history_idx", "submissions", ("user_id", "created_at"), where=LIVE),
    Index("submissions_user_id_idx", "submissions", ("user_id",)),
    Index("submissions_user_status_idx", "submissions", ("user_id", "status")),
    Index(
        "submission_events_submission_idx", "submission_events", ("submission_id", "occurred_at")
    ),
)


def create_tables() -> None:
    op.create_table(
        "submissions",
        generated_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("skill", enum("skill"), nullable=False),
        sa.Column(
            "status",
            enum("submission_status"),
            server_default=sa.text("'pending'"),
            nullable=False,
        ),
        sa.Column("score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("band", enum("vstep_band"), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("is_late", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=True),
        sa.Column("review_priority", enum("review_priority"), nullable=True),
        sa.Column("reviewer_id", sa.UUID(), nullable=True),
        sa.Column("grading_mode", enum("grading_mode"), nullable=True),
        sa.Column("audit_flag", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("claimed_by", sa.UUID(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *soft_delete(),
        fk("submissions_claimed_by_fkey", "claimed_by", "users", "SET NULL"),
        fk("submissions_question_id_fkey", "question_id", "questions", "RESTRICT"),
        fk("submissions_reviewer_id_fkey", "reviewer_id", "users", "SET NULL"),
        fk("submissions_user_id_fkey", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("submissions_pkey")),
    )
    op.create_table(
        "submission_details",
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("answer", postgresql.JSONB(), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("feedback", sa.String(length=10000), nullable=True),
        *timestamps(),
        fk("submission_details_submission_id_fkey", "submission_id", "submissions", "CASCADE"),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("submission_details_pkey")),
    )
    op.create_table(
        "submission_events",
        generated_id("event_id"),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        stamped_now("occurred_at"),
        sa.Column("data", postgresql.JSONB(), nullable=True),
        fk("submission_events_submission_id_fkey", "submission_id", "submissions", "CASCADE"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("submission_events_pkey")),
    )
