"""Named queries of the grading worker: lock a submission with what grading needs, store results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import QuestionFormat, Skill, SubmissionStatus


@dataclass(frozen=True)
class GradingInput:
    """A submission locked for grading, with its answer and question, as the database has them."""

    id: uuid.UUID
    user_id: uuid.UUID
    question_id: uuid.UUID
    skill: Skill
    status: SubmissionStatus
    request_id: uuid.UUID | None
    attempt: int
    created_at: Any
    deleted_at: Any
    deadline: Any
    answer: dict[str, Any] | None
    question_format: QuestionFormat
    question_content: dict[str, Any]
    answer_key: dict[str, Any] | None
    # The database's clock at the start of the locking transaction.
    now: datetime
    # The exam session it is a part of, if any.
    exam_session_id: uuid.UUID | None = None
    # Grading failures of the current retry budget (domain/retries.py budget_spent).
    failures: int = 0
    # The answer says nothing (the database's grading_answer_blank): graded as unanswered.
    unanswered: bool = False


# The database clock comes with the lock: completed_at is compared with the deadline,
# which the database stamped, and reading it costs no round trip of its own. So do the
# retry budget spent (grading_budget_failures, migration 0008, which the callbacks' lock
# in db/results.py reads too) and whether the answer is blank (grading_answer_blank,
# migration 0007: the one definition, which intake applies).
LOCK_FOR_GRADING = Sql("""
    SELECT s.id, s.user_id, s.question_id, s.skill, s.status, s.request_id, s.attempt, s.created_at,
           s.deleted_at, s.deadline, d.answer, q.format, q.content, q.answer_key, now(),
           (SELECT x.session_id FROM exam_submissions x WHERE x.submission_id = s.id LIMIT 1)
               AS exam_session_id,
           grading_budget_failures(s.id) AS failures,
           grading_answer_blank(CAST(s.skill AS text), d.answer) AS unanswered
    FROM submissions s
    JOIN questions q ON q.id = s.question_id
    LEFT JOIN submission_details d ON d.submission_id = s.id
    WHERE s.id = %(id)s
    FOR UPDATE OF s
""")


def submission_lock_for_grading(session: Tx, *, id: uuid.UUID) -> GradingInput | None:
    """Lock the submission row (duplicate deliveries wait here, then see the new state).

    A soft-deleted submission is returned too, so the worker can say why it left it alone.
    """
    row = execute(session, LOCK_FOR_GRADING, {"id": id}).fetchone()
    if row is None:
        return None
    return GradingInput(
        id=row.id,
        user_id=row.user_id,
        question_id=row.question_id,
        skill=Skill(row.skill),
        status=SubmissionStatus(row.status),
        request_id=row.request_id,
        attempt=row.attempt,
        created_at=row.created_at,
        deleted_at=row.deleted_at,
        deadline=row.deadline,
        answer=row.answer,
        question_format=QuestionFormat(row.format),
        question_content=row.content,
        answer_key=row.answer_key,
        now=row.now.astimezone(UTC),
        exam_session_id=row.exam_session_id,
        failures=row.failures,
        unanswered=row.unanswered,
    )


# Other learners' latest answers to one question, handed in before this one: what the
# built-in grader compares an answer with to find copies. Only earlier ones, so of two
# identical answers the later is the copy; the newest first, so a recent one is found.
PEER_ANSWERS = Sql("""
    SELECT s.id, coalesce(d.answer ->> 'text', d.answer ->> 'transcript') AS text
    FROM submissions s
    JOIN submission_details d ON d.submission_id = s.id
    WHERE s.question_id = %(question_id)s
      AND s.user_id <> %(user_id)s
      AND s.created_at < %(before)s
      AND s.deleted_at IS NULL
      AND coalesce(d.answer ->> 'text', d.answer ->> 'transcript', '') <> ''
    ORDER BY s.created_at DESC, s.id
    LIMIT %(limit)s
""")


@dataclass(frozen=True)
class PeerAnswer:
    submission_id: uuid.UUID
    text: str


def peer_answers(
    session: Tx, *, question_id: uuid.UUID, user_id: uuid.UUID, before: datetime, limit: int
) -> list[PeerAnswer]:
    """Up to ``limit`` answers of other learners to the question handed in before
    ``before``, the newest first."""
    rows = execute(
        session,
        PEER_ANSWERS,
        {"question_id": question_id, "user_id": user_id, "before": before, "limit": limit},
    ).fetchall()
    return [PeerAnswer(row.id, row.text) for row in rows]


PING = Sql("SELECT 1")


def database_ready(tx: Tx) -> None:
    """A round trip that raises DatabaseUnavailable while the server is away."""
    execute(tx, PING, {})
