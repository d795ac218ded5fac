"""submissions, submission_details and the append-only submission_events log."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import (
    GRADING_MODE,
    NOW,
    REVIEW_PRIORITY,
    SKILL,
    SUBMISSION_STATUS,
    VSTEP_BAND,
    Base,
    SoftDelete,
    Timestamps,
    fk,
    uuid_pk,
)
from domain.enums import GradingMode, ReviewPriority, Skill, SubmissionStatus, VstepBand


class Submission(SoftDelete, Base):
    __tablename__ = "submissions"
    __table_args__ = (
        sa.Index("submissions_user_status_idx", "user_id", "status"),
        sa.Index(
            "submissions_review_queue_idx",
            "status",
            "confidence",
            postgresql_where=sa.text("status = 'review_pending' AND deleted_at IS NULL"),
        ),
        sa.Index(
            "submissions_user_history_idx",
            "user_id",
            "created_at",
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
        sa.Index("submissions_request_id_unique", "request_id", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # index=True: the naming convention names each submissions_<column>_idx, as the schema does.
    user_id: Mapped[uuid.UUID] = mapped_column(fk("users.id", "CASCADE"), index=True)
    question_id: Mapped[uuid.UUID] = mapped_column(fk("questions.id", "RESTRICT"), index=True)
    skill: Mapped[Skill] = mapped_column(SKILL, index=True)
    status: Mapped[SubmissionStatus] = mapped_column(
        SUBMISSION_STATUS, server_default=sa.text("'pending'"), index=True
    )
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 1))
    band: Mapped[VstepBand | None] = mapped_column(VSTEP_BAND)
    confidence: Mapped[int | None] = mapped_column()
    is_late: Mapped[bool | None] = mapped_column(server_default=sa.text("false"))
    attempt: Mapped[int] = mapped_column(server_default=sa.text("1"))
    # idempotency key of the grading request
    request_id: Mapped[uuid.UUID | None] = mapped_column()
    review_priority: Mapped[ReviewPriority | None] = mapped_column(REVIEW_PRIORITY)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(fk("users.id", "SET NULL"))
    grading_mode: Mapped[GradingMode | None] = mapped_column(GRADING_MODE)
    audit_flag: Mapped[bool] = mapped_column(server_default=sa.text("false"))
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(fk("users.id", "SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column()
    # SLA deadline of the automatic grading phase
    deadline: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class SubmissionDetail(Timestamps, Base):
    __tablename__ = "submission_details"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        fk("submissions.id", "CASCADE"), primary_key=True
    )
    answer: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column()
    feedback: Mapped[str | None] = mapped_column(sa.String(10000))


class SubmissionEvent(Base):
    __tablename__ = "submission_events"
    __table_args__ = (sa.Index("submission_events_submission_idx", "submission_id", "occurred_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=sa.text("gen_random_uuid()")
    )
    submission_id: Mapped[uuid.UUID] = mapped_column(fk("submissions.id", "CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(50))
    occurred_at: Mapped[datetime] = mapped_column(server_default=NOW)
    data: Mapped[dict[str, Any] | None] = mapped_column()
