"""The web console's own table and the indexes its filters need.

``console_audit`` is ours alone: one row per change made through the console (or a
staff account written by ``staff add``), append-only, so it has ``created_at`` and no
``updated_at`` / ``deleted_at``. The indexes on shared tables serve the console's keyset
pages and timelines; they are additions the shared schema allows, and nothing of the
shared tables is changed.

Revision ID: 0006_console
Revises: 0005_outbox_notify_when_idle
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_console"
down_revision: str | None = "0005_outbox_notify_when_idle"

# (name, table, columns, partial-index predicate or None)
INDEXES: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("console_submissions_created_idx", "submissions", ("created_at", "id"), None),
    (
        "console_submissions_status_created_idx",
        "submissions",
        ("status", "created_at", "id"),
        None,
    ),
    ("console_submissions_skill_created_idx", "submissions", ("skill", "created_at", "id"), None),
    (
        "console_submissions_question_created_idx",
        "submissions",
        ("question_id", "created_at", "id"),
        None,
    ),
    (
        "console_submissions_completed_idx",
        "submissions",
        ("completed_at",),
        "completed_at IS NOT NULL",
    ),
    ("console_outbox_submission_idx", "outbox", ("submission_id",), None),
    ("console_outbox_failed_idx", "outbox", ("created_at",), "status = 'failed'"),
    (
        "console_processed_callbacks_submission_idx",
        "processed_callbacks",
        ("submission_id",),
        None,
    ),
    (
        "console_exam_sessions_started_idx",
        "exam_sessions",
        ("started_at", "id"),
        "deleted_at IS NULL",
    ),
)


def upgrade() -> None:
    op.create_table(
        "console_audit",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column(
            "actor_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="SET NULL", name="console_audit_actor_id_fkey"),
            nullable=True,
        ),
        sa.Column("actor_email", sa.String(255), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", postgresql.JSONB(), nullable=False),
        sa.Column("preview", postgresql.JSONB(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", postgresql.JSONB(), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="console_audit_pkey"),
    )
    op.create_index("console_audit_created_idx", "console_audit", ["created_at", "id"])
    # Sign-in and the submission search find an account by email, case-insensitively.
    op.create_index("console_users_email_lower_idx", "users", [sa.text("lower(email)")])
    for name, table, columns, where in INDEXES:
        op.create_index(
            name,
            table,
            list(columns),
            postgresql_where=sa.text(where) if where else None,
        )


def downgrade() -> None:
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("console_users_email_lower_idx", table_name="users")
    op.drop_index("console_audit_created_idx", table_name="console_audit")
    op.drop_table("console_audit")
