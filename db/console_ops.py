"""Operators' reads for the console: the overview's numbers, submission search, a
submission's outbox rows and score rows, failed work grouped, exam sessions, purge preview.

Every list is a keyset page (``before``: the previous page's last sort key), served by
an index of migration 0006; nothing here counts a large table per view except the
overview, which the console caches and shows with its age.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.event_facts import latest_data
from db.models import (
    ExamSession,
    ExamSubmission,
    OutboxRow,
    Question,
    Submission,
    SubmissionEvent,
    User,
    UserSkillScore,
)
from domain.enums import OutboxStatus, Skill, SubmissionStatus

_S = SubmissionStatus


@dataclass(frozen=True)
class Overview:
    by_status: dict[str, int]
    backlog: list[dict[str, Any]]
    completed_last_hour: int
    latency_p50_seconds: float | None
    latency_p95_seconds: float | None
    failures_by_reason: dict[str, int]


def overview_counts(session: Session, *, now: datetime | None = None) -> Overview:
    clock = clock_or_now(now)
    by_status = {
        str(status.value): count
        for status, count in session.execute(
            sa.select(Submission.status, sa.func.count()).group_by(Submission.status)
        )
    }
    backlog = [
        {
            "priority": row.review_priority.value if row.review_priority else "none",
            "count": row.n,
            "oldest_seconds": row.oldest,
        }
        for row in session.execute(
            sa.select(
                Submission.review_priority,
                sa.func.count().label("n"),
                sa.func.extract("epoch", clock - sa.func.min(Submission.created_at)).label(
                    "oldest"
                ),
            )
            .where(Submission.status == _S.REVIEW_PENDING, Submission.deleted_at.is_(None))
            .group_by(Submission.review_priority)
        )
    ]
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "none": 4}
    backlog.sort(key=lambda b: order[b["priority"]])
    latency = sa.func.extract("epoch", Submission.completed_at - Submission.created_at)
    done = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.percentile_cont(0.5).within_group(latency),
            sa.func.percentile_cont(0.95).within_group(latency),
        ).where(Submission.completed_at >= clock - timedelta(hours=1))
    ).one()
    reason = latest_data("failed", "failureReason")
    failures = {
        str(row.reason or "unknown"): row.n
        for row in session.execute(
            sa.select(reason.label("reason"), sa.func.count().label("n"))
            .where(Submission.status == _S.FAILED, Submission.deleted_at.is_(None))
            .group_by(sa.literal_column("reason"))
        )
    }
    return Overview(
        by_status=by_status,
        backlog=backlog,
        completed_last_hour=done[0],
        latency_p50_seconds=done[1],
        latency_p95_seconds=done[2],
        failures_by_reason=failures,
    )


@dataclass(frozen=True)
class SubmissionSearch:
    id: uuid.UUID | None = None
    request_id: uuid.UUID | None = None
    email: str | None = None
    status: SubmissionStatus | None = None
    skill: Skill | None = None
    question_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def submissions_page(
    session: Session,
    *,
    search: SubmissionSearch,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """Submissions newest first matching every given filter, one keyset page.

    Each filter has its index (migration 0006); a search by submission or request id is
    a lookup of one row, so it is not ordered: ordered, the planner might walk the
    created_at index looking for it.
    """
    query = (
        sa.select(
            Submission.id,
            Submission.request_id,
            Submission.skill,
            Submission.status,
            Submission.score,
            Submission.confidence,
            Submission.review_priority,
            Submission.created_at,
            Submission.completed_at,
            Submission.deleted_at,
            User.email,
        )
        .join(User, User.id == Submission.user_id)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
    )
    if search.id is not None:
        query = query.where(Submission.id == search.id).order_by(None)
    if search.request_id is not None:
        query = query.where(Submission.request_id == search.request_id).order_by(None)
    if search.email:
        users = sa.select(User.id).where(sa.func.lower(User.email) == search.email.lower())
        query = query.where(Submission.user_id.in_(users.scalar_subquery()))
    if search.status is not None:
        query = query.where(Submission.status == search.status)
    if search.skill is not None:
        query = query.where(Submission.skill == search.skill)
    if search.question_id is not None:
        query = query.where(Submission.question_id == search.question_id)
    if search.since is not None:
        query = query.where(Submission.created_at >= search.since)
    if search.until is not None:
        query = query.where(Submission.created_at < search.until)
    if before is not None:
        query = query.where(sa.tuple_(Submission.created_at, Submission.id) < sa.tuple_(*before))
    return list(session.execute(query))


def outbox_rows_of(session: Session, *, submission_id: uuid.UUID) -> list[OutboxRow]:
    return list(
        session.scalars(
            sa.select(OutboxRow)
            .where(OutboxRow.submission_id == submission_id)
            .order_by(OutboxRow.created_at, OutboxRow.id)
        )
    )


def score_rows_of(session: Session, *, submission_id: uuid.UUID) -> list[UserSkillScore]:
    return list(
        session.scalars(
            sa.select(UserSkillScore).where(UserSkillScore.submission_id == submission_id)
        )
    )


@dataclass(frozen=True)
class FailedGroup:
    reason: str
    error: str | None
    count: int
    ids: list[uuid.UUID]
    oldest: datetime


# Ids listed (and retried at once) per group at most.
GROUP_IDS_MAX = 500


def failed_groups(session: Session) -> list[FailedGroup]:
    """Failed live submissions grouped by their failure reason and last error."""
    reason = latest_data("failed", "failureReason").label("reason")
    error = latest_data("failed", "lastError").label("error")
    rows = (
        sa.select(Submission.id, Submission.updated_at, reason, error)
        .where(Submission.status == _S.FAILED, Submission.deleted_at.is_(None))
        .subquery()
    )
    grouped = session.execute(
        sa.select(
            rows.c.reason,
            rows.c.error,
            sa.func.count().label("n"),
            sa.func.min(rows.c.updated_at).label("oldest"),
            sa.func.array_agg(aggregate_order_by(rows.c.id, rows.c.updated_at))[
                1:GROUP_IDS_MAX
            ].label("ids"),
        )
        .group_by(rows.c.reason, rows.c.error)
        .order_by(sa.desc("n"))
    )
    return [
        FailedGroup(row.reason or "unknown", row.error, row.n, list(row.ids), row.oldest)
        for row in grouped
    ]


def failed_group_ids(session: Session, *, reason: str, error: str | None) -> list[uuid.UUID]:
    """The failed submissions of one group (as ``failed_groups`` keys it)."""
    for group in failed_groups(session):
        if group.reason == reason and group.error == error:
            return group.ids
    return []


def outbox_failed_page(
    session: Session, *, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[OutboxRow]:
    query = (
        sa.select(OutboxRow)
        .where(OutboxRow.status == OutboxStatus.FAILED)
        .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(sa.tuple_(OutboxRow.created_at, OutboxRow.id) < sa.tuple_(*before))
    return list(session.scalars(query))


def outbox_rows(session: Session, *, ids: list[uuid.UUID]) -> list[OutboxRow]:
    return list(
        session.scalars(sa.select(OutboxRow).where(OutboxRow.id.in_(ids)).order_by(OutboxRow.id))
    )


def outbox_purge_preview(
    session: Session, *, older_than: timedelta, now: datetime | None = None
) -> tuple[int, datetime | None]:
    """How many published rows a purge of ``older_than`` would delete, and the oldest."""
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(OutboxRow.published_at)).where(
            OutboxRow.status == OutboxStatus.PUBLISHED,
            OutboxRow.published_at < clock_or_now(now) - older_than,
        )
    ).one()
    return int(count), oldest


def exam_sessions_page(
    session: Session, *, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Any]:
    query = (
        sa.select(ExamSession, User.email)
        .join(User, User.id == ExamSession.user_id)
        .where(ExamSession.deleted_at.is_(None))
        .order_by(ExamSession.started_at.desc(), ExamSession.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(sa.tuple_(ExamSession.started_at, ExamSession.id) < sa.tuple_(*before))
    return list(session.execute(query))


def events_count(session: Session, *, submission_id: uuid.UUID) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count()).where(SubmissionEvent.submission_id == submission_id)
        ).scalar_one()
    )


@dataclass(frozen=True)
class ExamPart:
    submission_id: uuid.UUID
    skill: Skill
    status: SubmissionStatus
    score: Any
    format: Any


def exam_parts_of(
    session: Session, *, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ExamPart]]:
    """The parts of several exam sessions in one statement (a page of sessions)."""
    rows = session.execute(
        sa.select(
            ExamSubmission.session_id,
            Submission.id,
            Submission.skill,
            Submission.status,
            Submission.score,
            Question.format,
        )
        .join(Submission, Submission.id == ExamSubmission.submission_id)
        .join(Question, Question.id == Submission.question_id)
        .where(ExamSubmission.session_id.in_(session_ids))
        .order_by(ExamSubmission.session_id, Submission.skill, ExamSubmission.created_at)
    )
    parts: dict[uuid.UUID, list[ExamPart]] = {id: [] for id in session_ids}
    for row in rows:
        parts[row.session_id].append(ExamPart(row.id, row.skill, row.status, row.score, row.format))
    return parts
