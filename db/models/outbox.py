"""The transactional outbox and the inbound dedup table processed_callbacks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NOW, OUTBOX_STATUS, Base, fk, uuid_pk
from domain.enums import OutboxStatus


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "outbox_pending_idx", "created_at", postgresql_where=sa.text("status = 'pending'")
        ),
        sa.Index(
            "outbox_processing_idx", "locked_at", postgresql_where=sa.text("status = 'processing'")
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    submission_id: Mapped[uuid.UUID] = mapped_column(fk("submissions.id", "CASCADE"))
    aggregate_type: Mapped[str | None] = mapped_column(sa.String(50))
    aggregate_id: Mapped[uuid.UUID | None] = mapped_column()
    # routes the row to a queue, e.g. 'grading.request'
    message_type: Mapped[str] = mapped_column(sa.String(50))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[OutboxStatus] = mapped_column(OUTBOX_STATUS, server_default=sa.text("'pending'"))
    attempts: Mapped[int] = mapped_column(server_default=sa.text("0"))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    locked_at: Mapped[datetime | None] = mapped_column()
    locked_by: Mapped[str | None] = mapped_column(sa.String(64))
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)


class ProcessedCallback(Base):
    __tablename__ = "processed_callbacks"
    __table_args__ = (sa.Index("processed_callbacks_request_idx", "request_id"),)

    # the sender's id of the callback: no default on purpose
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column()
    submission_id: Mapped[uuid.UUID] = mapped_column(fk("submissions.id", "CASCADE"))
    processed_at: Mapped[datetime] = mapped_column(server_default=NOW)
