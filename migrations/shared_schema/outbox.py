"""outbox and processed_callbacks: the messages out and the callbacks in."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shared_schema.columns import fk, generated_id, stamped_now
from migrations.shared_schema.enums import enum
from migrations.shared_schema.indexes import Index

TABLES = ("outbox", "processed_callbacks")

INDEXES = (
    Index("outbox_pending_idx", "outbox", ("created_at",), where="status = 'pending'"),
    Index("outbox_processing_idx", "outbox", ("locked_at",), where="status = 'processing'"),
    Index("processed_callbacks_request_idx", "processed_callbacks", ("request_id",)),
)


def create_tables() -> None:
    op.create_table(
        "outbox",
        generated_id(),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=50), nullable=True),
        sa.Column("aggregate_id", sa.UUID(), nullable=True),
        sa.Column("message_type", sa.String(length=50), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column(
            "status", enum("outbox_status"), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        stamped_now("created_at"),
        fk("outbox_submission_id_fkey", "submission_id", "submissions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("outbox_pkey")),
    )
    op.create_table(
        "processed_callbacks",
        # No default: the id is the sender's, it makes a redelivered callback a no-op.
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("submission_id", sa.UUID(), nullable=False),
        stamped_now("processed_at"),
        fk("processed_callbacks_submission_id_fkey", "submission_id", "submissions", "CASCADE"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("processed_callbacks_pkey")),
    )
