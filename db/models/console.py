"""The web console's own table (console_audit) and its indexes on shared tables.

Migration 0006 creates both; they are declared here so the models and the migrations
describe one schema. The shared tables' own modules stay as the shared schema has them:
the console's indexes attach to those tables from here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import NOW, Base, fk, uuid_pk
from db.models.exams import ExamSession
from db.models.outbox import OutboxRow, ProcessedCallback
from db.models.submissions import Submission
from db.models.users import User


class ConsoleAudit(Base):
    """One change made through the console: who, what, which rows, the preview, the outcome."""

    __tablename__ = "console_audit"
    __table_args__ = (sa.Index("console_audit_created_idx", "created_at", "id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    created_at: Mapped[datetime] = mapped_column(server_default=NOW)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(fk("users.id", "SET NULL"))
    actor_email: Mapped[str] = mapped_column(sa.String(255))
    action: Mapped[str] = mapped_column(sa.String(50))
    target: Mapped[dict[str, Any]] = mapped_column()
    preview: Mapped[dict[str, Any] | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[dict[str, Any] | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(sa.String(64))


_s = Submission.__table__.c
_o = OutboxRow.__table__.c
CONSOLE_INDEXES = (
    sa.Index("console_users_email_lower_idx", sa.func.lower(User.__table__.c.email)),
    sa.Index("console_submissions_created_idx", _s.created_at, _s.id),
    sa.Index("console_submissions_status_created_idx", _s.status, _s.created_at, _s.id),
    sa.Index("console_submissions_skill_created_idx", _s.skill, _s.created_at, _s.id),
    sa.Index("console_submissions_question_created_idx", _s.question_id, _s.created_at, _s.id),
    sa.Index(
        "console_submissions_completed_idx",
        _s.completed_at,
        postgresql_where=sa.text("completed_at IS NOT NULL"),
    ),
    sa.Index("console_outbox_submission_idx", _o.submission_id),
    sa.Index(
        "console_outbox_failed_idx", _o.created_at, postgresql_where=sa.text("status = 'failed'")
    ),
    sa.Index(
        "console_processed_callbacks_submission_idx",
        ProcessedCallback.__table__.c.submission_id,
    ),
    sa.Index(
        "console_exam_sessions_started_idx",
        ExamSession.__table__.c.started_at,
        ExamSession.__table__.c.id,
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
)
