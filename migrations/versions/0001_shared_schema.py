"""The shared schema of docs/data-model.md: 11 enum types, 16 tables, their keys and indexes.

Revision ID: 0001_shared_schema
Revises:
Create Date: 2026-11-26 05:06:01.930163
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_shared_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUM_TYPES = (
    "skill",
    "vstep_band",
    "user_role",
    "question_format",
    "question_level",
    "submission_status",
    "review_priority",
    "grading_mode",
    "exam_status",
    "streak_direction",
    "outbox_status",
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column(
            "role",
            sa.Enum("learner", "instructor", "admin", name="user_role"),
            server_default=sa.text("'learner'"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("users_pkey")),
    )
    op.create_index(
        "users_active_idx",
        "users",
        ["id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "users_email_unique",
        "users",
        ["email"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("users_role_idx", "users", ["role"], unique=False)
    op.create_table(
        "exams",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "level", sa.Enum("A1", "A2", "B1", "B2", "C1", name="question_level"), nullable=False
        ),
        sa.Column("blueprint", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("exams_created_by_fkey"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("exams_pkey")),
    )
    op.create_index(
        "exams_active_idx",
        "exams",
        ["level"],
        unique=False,
        postgresql_where=sa.text("is_active = true AND deleted_at IS NULL"),
    )
    op.create_index("exams_level_idx", "exams", ["level"], unique=False)
    op.create_table(
        "questions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "skill",
            sa.Enum("listening", "reading", "writing", "speaking", name="skill"),
            nullable=False,
        ),
        sa.Column(
            "level", sa.Enum("A1", "A2", "B1", "B2", "C1", name="question_level"), nullable=False
        ),
        sa.Column(
            "format",
            sa.Enum(
                "writing_task_1",
                "writing_task_2",
                "speaking_part_1",
                "speaking_part_2",
                "speaking_part_3",
                "reading_mcq",
                "reading_tng",
                "reading_matching_headings",
                "reading_gap_fill",
                "listening_mcq",
                "listening_dictation",
                name="question_format",
            ),
            nullable=False,
        ),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("answer_key", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("questions_created_by_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("questions_pkey")),
    )
    op.create_index(
        "questions_active_idx",
        "questions",
        ["skill", "level"],
        unique=False,
        postgresql_where=sa.text("is_active = true AND deleted_at IS NULL"),
    )
    op.create_index("questions_created_by_idx", "questions", ["created_by"], unique=False)
    op.create_index("questions_format_idx", "questions", ["format"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=36), nullable=False),
        sa.Column("replaced_by_jti", sa.String(length=36), nullable=True),
        sa.Column("device_info", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("refresh_tokens_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("refresh_tokens_pkey")),
    )
    op.create_index(
        "refresh_tokens_active_idx",
        "refresh_tokens",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_index("refresh_tokens_expires_at_idx", "refresh_tokens", ["expires_at"], unique=False)
    op.create_index("refresh_tokens_hash_idx", "refresh_tokens", ["token_hash"], unique=False)
    op.create_index("refresh_tokens_jti_unique", "refresh_tokens", ["jti"], unique=True)
    op.create_index("refresh_tokens_user_id_idx", "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "user_goals",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "target_band", sa.Enum("A1", "A2", "B1", "B2", "C1", name="vstep_band"), nullable=False
        ),
        sa.Column("current_estimated_band", sa.String(length=10), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "daily_study_time_minutes", sa.Integer(), server_default=sa.text("30"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("user_goals_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_goals_pkey")),
    )
    op.create_index("user_goals_user_idx", "user_goals", ["user_id"], unique=False)
    op.create_table(
        "user_progress",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "skill",
            sa.Enum("listening", "reading", "writing", "speaking", name="skill"),
            nullable=False,
        ),
        sa.Column(
            "current_level",
            sa.Enum("A1", "A2", "B1", "B2", "C1", name="question_level"),
            nullable=False,
        ),
        sa.Column(
            "target_level",
            sa.Enum("A1", "A2", "B1", "B2", "C1", name="question_level"),
            nullable=True,
        ),
        sa.Column("scaffold_level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("streak_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "streak_direction",
            sa.Enum("up", "down", "neutral", name="streak_direction"),
            nullable=True,
        ),
        sa.Column("attempt_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("user_progress_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_progress_pkey")),
    )
    op.create_index(
        "user_progress_user_skill_idx", "user_progress", ["user_id", "skill"], unique=True
    )
    op.create_table(
        "exam_sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("in_progress", "submitted", "completed", "abandoned", name="exam_status"),
            server_default=sa.text("'in_progress'"),
            nullable=False,
        ),
        sa.Column("listening_score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("reading_score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("writing_score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("speaking_score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("overall_score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("exam_sessions_exam_id_fkey"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("exam_sessions_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("exam_sessions_pkey")),
    )
    op.create_index("exam_sessions_exam_id_idx", "exam_sessions", ["exam_id"], unique=False)
    op.create_index("exam_sessions_status_idx", "exam_sessions", ["status"], unique=False)
    op.create_index("exam_sessions_user_idx", "exam_sessions", ["user_id"], unique=False)
    op.create_index(
        "exam_sessions_user_status_idx",
        "exam_sessions",
        ["user_id", "status"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "question_versions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("answer_key", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("question_versions_question_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("question_versions_pkey")),
    )
    op.create_index(
        "question_versions_unique_idx", "question_versions", ["question_id", "version"], unique=True
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column(
            "skill",
            sa.Enum("listening", "reading", "writing", "speaking", name="skill"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "queued",
                "processing",
                "completed",
                "review_pending",
                "error",
                "retrying",
                "failed",
                name="submission_status",
            ),
            server_default=sa.text("'pending'"),
            nullable=False,
        ),
        sa.Column("score", sa.Numeric(precision=3, scale=1), nullable=True),
        sa.Column("band", sa.Enum("A1", "A2", "B1", "B2", "C1", name="vstep_band"), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("is_late", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=True),
        sa.Column(
            "review_priority",
            sa.Enum("low", "medium", "high", "critical", name="review_priority"),
            nullable=True,
        ),
        sa.Column("reviewer_id", sa.UUID(), nullable=True),
        sa.Column(
            "grading_mode", sa.Enum("auto", "human", "hybrid", name="grading_mode"), nullable=True
        ),
        sa.Column("audit_flag", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("claimed_by", sa.UUID(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["users.id"],
            name=op.f("submissions_claimed_by_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("submissions_question_id_fkey"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("submissions_reviewer_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("submissions_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("submissions_pkey")),
    )
    op.create_index("submissions_question_id_idx", "submissions", ["question_id"], unique=False)
    op.create_index("submissions_request_id_unique", "submissions", ["request_id"], unique=True)
    op.create_index(
        "submissions_review_queue_idx",
        "submissions",
        ["status", "confidence"],
        unique=False,
        postgresql_where=sa.text("status = 'review_pending' AND deleted_at IS NULL"),
    )
    op.create_index("submissions_skill_idx", "submissions", ["skill"], unique=False)
    op.create_index("submissions_status_idx", "submissions", ["status"], unique=False)
    op.create_index(
        "submissions_user_history_idx",
        "submissions",
        ["user_id", "created_at"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("submissions_user_id_idx", "submissions", ["user_id"], unique=False)
    op.create_index(
        "submissions_user_status_idx", "submissions", ["user_id", "status"], unique=False
    )
    op.create_table(
        "exam_answers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("question_id", sa.UUID(), nullable=False),
        sa.Column("answer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("exam_answers_question_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exam_sessions.id"],
            name=op.f("exam_answers_session_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("exam_answers_pkey")),
    )
    op.create_index(
        "exam_answers_session_question_idx",
        "exam_answers",
        ["session_id", "question_id"],
        unique=True,
    )
    op.create_table(
        "exam_submissions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column(
            "skill",
            sa.Enum("listening", "reading", "writing", "speaking", name="skill"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exam_sessions.id"],
            name=op.f("exam_submissions_session_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("exam_submissions_submission_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("exam_submissions_pkey")),
    )
    op.create_index(
        "exam_submissions_session_idx", "exam_submissions", ["session_id"], unique=False
    )
    op.create_index(
        "exam_submissions_session_submission_unique",
        "exam_submissions",
        ["session_id", "submission_id"],
        unique=True,
    )
    op.create_index(
        "exam_submissions_submission_idx", "exam_submissions", ["submission_id"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=50), nullable=True),
        sa.Column("aggregate_id", sa.UUID(), nullable=True),
        sa.Column("message_type", sa.String(length=50), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "processing", "published", "failed", name="outbox_status"),
            server_default=sa.text("'pending'"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("outbox_submission_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("outbox_pkey")),
    )
    op.create_index(
        "outbox_pending_idx",
        "outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "outbox_processing_idx",
        "outbox",
        ["locked_at"],
        unique=False,
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.create_table(
        "processed_callbacks",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("processed_callbacks_submission_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("processed_callbacks_pkey")),
    )
    op.create_index(
        "processed_callbacks_request_idx", "processed_callbacks", ["request_id"], unique=False
    )
    op.create_table(
        "submission_details",
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("answer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("feedback", sa.String(length=10000), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("submission_details_submission_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("submission_details_pkey")),
    )
    op.create_table(
        "submission_events",
        sa.Column(
            "event_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("submission_events_submission_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("submission_events_pkey")),
    )
    op.create_index(
        "submission_events_submission_idx",
        "submission_events",
        ["submission_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "user_skill_scores",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "skill",
            sa.Enum("listening", "reading", "writing", "speaking", name="skill"),
            nullable=False,
        ),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("score", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("scaffolding_type", sa.String(length=20), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("user_skill_scores_submission_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("user_skill_scores_user_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_skill_scores_pkey")),
    )
    op.create_index(
        "user_skill_scores_user_skill_idx",
        "user_skill_scores",
        ["user_id", "skill", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("user_skill_scores_user_skill_idx", table_name="user_skill_scores")
    op.drop_table("user_skill_scores")
    op.drop_index("submission_events_submission_idx", table_name="submission_events")
    op.drop_table("submission_events")
    op.drop_table("submission_details")
    op.drop_index("processed_callbacks_request_idx", table_name="processed_callbacks")
    op.drop_table("processed_callbacks")
    op.drop_index(
        "outbox_processing_idx",
        table_name="outbox",
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.drop_index(
        "outbox_pending_idx", table_name="outbox", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_table("outbox")
    op.drop_index("exam_submissions_submission_idx", table_name="exam_submissions")
    op.drop_index("exam_submissions_session_submission_unique", table_name="exam_submissions")
    op.drop_index("exam_submissions_session_idx", table_name="exam_submissions")
    op.drop_table("exam_submissions")
    op.drop_index("exam_answers_session_question_idx", table_name="exam_answers")
    op.drop_table("exam_answers")
    op.drop_index("submissions_user_status_idx", table_name="submissions")
    op.drop_index("submissions_user_id_idx", table_name="submissions")
    op.drop_index(
        "submissions_user_history_idx",
        table_name="submissions",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("submissions_status_idx", table_name="submissions")
    op.drop_index("submissions_skill_idx", table_name="submissions")
    op.drop_index(
        "submissions_review_queue_idx",
        table_name="submissions",
        postgresql_where=sa.text("status = 'review_pending' AND deleted_at IS NULL"),
    )
    op.drop_index("submissions_request_id_unique", table_name="submissions")
    op.drop_index("submissions_question_id_idx", table_name="submissions")
    op.drop_table("submissions")
    op.drop_index("question_versions_unique_idx", table_name="question_versions")
    op.drop_table("question_versions")
    op.drop_index(
        "exam_sessions_user_status_idx",
        table_name="exam_sessions",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("exam_sessions_user_idx", table_name="exam_sessions")
    op.drop_index("exam_sessions_status_idx", table_name="exam_sessions")
    op.drop_index("exam_sessions_exam_id_idx", table_name="exam_sessions")
    op.drop_table("exam_sessions")
    op.drop_index("user_progress_user_skill_idx", table_name="user_progress")
    op.drop_table("user_progress")
    op.drop_index("user_goals_user_idx", table_name="user_goals")
    op.drop_table("user_goals")
    op.drop_index("refresh_tokens_user_id_idx", table_name="refresh_tokens")
    op.drop_index("refresh_tokens_jti_unique", table_name="refresh_tokens")
    op.drop_index("refresh_tokens_hash_idx", table_name="refresh_tokens")
    op.drop_index("refresh_tokens_expires_at_idx", table_name="refresh_tokens")
    op.drop_index(
        "refresh_tokens_active_idx",
        table_name="refresh_tokens",
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_table("refresh_tokens")
    op.drop_index("questions_format_idx", table_name="questions")
    op.drop_index("questions_created_by_idx", table_name="questions")
    op.drop_index(
        "questions_active_idx",
        table_name="questions",
        postgresql_where=sa.text("is_active = true AND deleted_at IS NULL"),
    )
    op.drop_table("questions")
    op.drop_index("exams_level_idx", table_name="exams")
    op.drop_index(
        "exams_active_idx",
        table_name="exams",
        postgresql_where=sa.text("is_active = true AND deleted_at IS NULL"),
    )
    op.drop_table("exams")
    op.drop_index("users_role_idx", table_name="users")
    op.drop_index(
        "users_email_unique", table_name="users", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_index(
        "users_active_idx", table_name="users", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_table("users")
    for enum_name in ENUM_TYPES:
        op.execute(sa.text(f"DROP TYPE IF EXISTS {enum_name}"))
