"""Operators' lists for the console: submission search, a submission's outbox and score
rows, failed outbox rows, exam sessions with their parts.

Every list is a keyset page (``before``: the previous page's last sort key), served by
an index of migration 0006. A search is one text with optional filters, planned with
each call's values (``db/custom_plans.py``): the absent filters fold away and the given
ones use their index, as the text written for that combination would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from db.custom_plans import plan_each_call
from db.statements import Sql, Tx, execute
from domain.enums import (
    ExamStatus,
    OutboxStatus,
    QuestionFormat,
    ReviewPriority,
    Skill,
    SubmissionStatus,
)

# Newest first, every given filter applied. A search by submission or request id finds
# its one row through the unique index, whatever the order. A search by email gives the
# learners' ids, read first (USERS_BY_EMAIL): a list of ids the planner can count picks
# submissions_user_id_idx, where a sub-select inside the optional filter would be a
# filter on the newest-first walk.
SUBMISSIONS_PAGE = Sql(
    """
    SELECT s.id, s.request_id, s.skill, s.status, s.score, s.confidence, s.review_priority,
           s.created_at, s.completed_at, s.deleted_at, u.email
    FROM submissions s
    JOIN users u ON u.id = s.user_id
    WHERE (CAST(%(id)s AS uuid) IS NULL OR s.id = %(id)s)
      AND (CAST(%(request_id)s AS uuid) IS NULL OR s.request_id = %(request_id)s)
      AND (CAST(%(user_ids)s AS uuid[]) IS NULL OR s.user_id = ANY(%(user_ids)s))
      AND (CAST(%(status)s AS submission_status) IS NULL OR s.status = %(status)s)
      AND (CAST(%(skill)s AS skill) IS NULL OR s.skill = %(skill)s)
      AND (CAST(%(question_id)s AS uuid) IS NULL OR s.question_id = %(question_id)s)
      AND (CAST(%(since)s AS timestamptz) IS NULL OR s.created_at >= %(since)s)
      AND (CAST(%(until)s AS timestamptz) IS NULL OR s.created_at < %(until)s)
      AND (CAST(%(before_at)s AS timestamptz) IS NULL
           OR (s.created_at, s.id) < (%(before_at)s, %(before_id)s))
    ORDER BY s.created_at DESC, s.id DESC
    LIMIT %(limit)s
    """
)

# Through console_users_email_lower_idx.
USERS_BY_EMAIL = Sql("SELECT id FROM users WHERE lower(email) = %(email)s")

OUTBOX_ROWS_OF = Sql(
    """
    SELECT id, submission_id, message_type, payload, status, attempts, error_message,
           published_at, created_at
    FROM outbox WHERE submission_id = %(submission_id)s ORDER BY created_at, id
    """
)

# Through console_outbox_failed_idx, newest first.
OUTBOX_FAILED_PAGE = Sql(
    """
    SELECT id, submission_id, message_type, payload, status, attempts, error_message,
           published_at, created_at
    FROM outbox
    WHERE status = 'failed'
      AND (CAST(%(before_at)s AS timestamptz) IS NULL
           OR (created_at, id) < (%(before_at)s, %(before_id)s))
    ORDER BY created_at DESC, id DESC
    LIMIT %(limit)s
    """
)

OUTBOX_ROWS = Sql(
    """
    SELECT id, submission_id, message_type, payload, status, attempts, error_message,
           published_at, created_at
    FROM outbox WHERE id = ANY(CAST(%(ids)s AS uuid[])) ORDER BY id
    """
)

SCORE_ROWS_OF = Sql(
    """
    SELECT id, user_id, skill, submission_id, score, scaffolding_type, created_at
    FROM user_skill_scores WHERE submission_id = %(submission_id)s
    """
)

EXAM_SESSIONS_PAGE = Sql(
    """
    SELECT x.id, x.user_id, x.exam_id, x.status, x.listening_score, x.reading_score,
           x.writing_score, x.speaking_score, x.overall_score, x.started_at, x.completed_at,
           u.email
    FROM exam_sessions x
    JOIN users u ON u.id = x.user_id
    WHERE x.deleted_at IS NULL
      AND (CAST(%(before_at)s AS timestamptz) IS NULL
           OR (x.started_at, x.id) < (%(before_at)s, %(before_id)s))
    ORDER BY x.started_at DESC, x.id DESC
    LIMIT %(limit)s
    """
)

# The parts of several exam sessions in one statement (a page of sessions).
EXAM_PARTS_OF = Sql(
    """
    SELECT es.session_id, s.id, s.skill, s.status, s.score, q.format
    FROM exam_submissions es
    JOIN submissions s ON s.id = es.submission_id
    JOIN questions q ON q.id = s.question_id
    WHERE es.session_id = ANY(CAST(%(session_ids)s AS uuid[]))
    ORDER BY es.session_id, s.skill, es.created_at
    """
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


@dataclass(frozen=True)
class SubmissionLine:
    id: uuid.UUID
    request_id: uuid.UUID | None
    skill: Skill
    status: SubmissionStatus
    score: Decimal | None
    confidence: int | None
    review_priority: ReviewPriority | None
    created_at: datetime
    completed_at: datetime | None
    deleted_at: datetime | None
    email: str


@dataclass(frozen=True)
class OutboxLine:
    id: uuid.UUID
    status: OutboxStatus
    created_at: datetime
    message_type: str
    submission_id: uuid.UUID
    attempts: int
    error_message: str | None
    published_at: datetime | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class ScoreLine:
    id: uuid.UUID
    user_id: uuid.UUID
    skill: Skill
    submission_id: uuid.UUID
    score: Decimal
    scaffolding_type: str | None
    created_at: datetime


@dataclass(frozen=True)
class ExamSessionLine:
    id: uuid.UUID
    user_id: uuid.UUID
    exam_id: uuid.UUID
    status: ExamStatus
    listening_score: Decimal | None
    reading_score: Decimal | None
    writing_score: Decimal | None
    speaking_score: Decimal | None
    overall_score: Decimal | None
    started_at: datetime
    completed_at: datetime | None
    email: str


@dataclass(frozen=True)
class ExamPart:
    submission_id: uuid.UUID
    skill: Skill
    status: SubmissionStatus
    score: Decimal | None
    format: QuestionFormat


def submissions_page(
    session: Tx,
    *,
    search: SubmissionSearch,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[SubmissionLine]:
    """Submissions newest first matching every given filter, one keyset page."""
    user_ids = None
    if search.email:
        found = execute(session, USERS_BY_EMAIL, {"email": search.email.lower()})
        user_ids = [row.id for row in found]
        if not user_ids:
            return []
    plan_each_call(session)
    params = {
        "id": search.id,
        "request_id": search.request_id,
        "user_ids": user_ids,
        "status": search.status.value if search.status else None,
        "skill": search.skill.value if search.skill else None,
        "question_id": search.question_id,
        "since": search.since,
        "until": search.until,
        **_before(before),
        "limit": limit,
    }
    return [
        SubmissionLine(
            **row._asdict()
            | {
                "skill": Skill(row.skill),
                "status": SubmissionStatus(row.status),
                "review_priority": _priority(row.review_priority),
            }
        )
        for row in execute(session, SUBMISSIONS_PAGE, params)
    ]


def outbox_rows_of(session: Tx, *, submission_id: uuid.UUID) -> list[OutboxLine]:
    return _outbox_lines(execute(session, OUTBOX_ROWS_OF, {"submission_id": submission_id}))


def outbox_failed_page(
    session: Tx, *, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[OutboxLine]:
    plan_each_call(session)
    return _outbox_lines(execute(session, OUTBOX_FAILED_PAGE, {**_before(before), "limit": limit}))


def outbox_rows(session: Tx, *, ids: list[uuid.UUID]) -> list[OutboxLine]:
    return _outbox_lines(execute(session, OUTBOX_ROWS, {"ids": ids}))


def score_rows_of(session: Tx, *, submission_id: uuid.UUID) -> list[ScoreLine]:
    rows = execute(session, SCORE_ROWS_OF, {"submission_id": submission_id})
    return [ScoreLine(**row._asdict() | {"skill": Skill(row.skill)}) for row in rows]


def exam_sessions_page(
    session: Tx, *, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[ExamSessionLine]:
    plan_each_call(session)
    rows = execute(session, EXAM_SESSIONS_PAGE, {**_before(before), "limit": limit})
    return [ExamSessionLine(**row._asdict() | {"status": ExamStatus(row.status)}) for row in rows]


def exam_parts_of(session: Tx, *, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ExamPart]]:
    """The parts of several exam sessions in one statement (a page of sessions)."""
    parts: dict[uuid.UUID, list[ExamPart]] = {id: [] for id in session_ids}
    for row in execute(session, EXAM_PARTS_OF, {"session_ids": session_ids}):
        parts[row.session_id].append(
            ExamPart(
                row.id,
                Skill(row.skill),
                SubmissionStatus(row.status),
                row.score,
                QuestionFormat(row.format),
            )
        )
    return parts


def _before(before: tuple[datetime, uuid.UUID] | None) -> dict[str, Any]:
    at, id = before if before is not None else (None, None)
    return {"before_at": at, "before_id": id}


def _outbox_lines(rows: Any) -> list[OutboxLine]:
    return [OutboxLine(**row._asdict() | {"status": OutboxStatus(row.status)}) for row in rows]


def _priority(value: str | None) -> ReviewPriority | None:
    return ReviewPriority(value) if value else None
