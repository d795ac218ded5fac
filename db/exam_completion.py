"""Exam completion: when a part gets its final score, the session's scores (docs/scoring.md#exams).

``exam_part_final`` runs inside the transaction that gives a part its final score, from
the one result path: the session row is locked (two last parts completing at once
complete it once), the part's ``exam_answers.is_correct`` is set, and when every part is
final the session gets its scores, ``completed`` and ``completed_at``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import ExamStatus, QuestionFormat, Skill, SubmissionStatus
from domain.exams import Part, SessionScores, all_items_right, session_scores

_LOCK_FOR_COMPLETION = Sql("""
    SELECT status::text AS status FROM exam_sessions WHERE id = %(session_id)s FOR UPDATE
""")

_MARK_CORRECT = Sql("""
    UPDATE exam_answers a
    SET is_correct = %(correct)s, updated_at = now()
    FROM submissions s
    WHERE s.id = %(submission_id)s
      AND a.session_id = %(session_id)s
      AND a.question_id = s.question_id
""")

_PARTS = Sql("""
    SELECT s.id, s.question_id, s.skill::text AS skill, q.format::text AS format,
           s.status::text AS status, s.score,
           CAST(d.result ->> 'correctCount' AS integer) AS correct,
           -- A part a person finalized before any grader counted it: its key's items.
           coalesce(CAST(d.result ->> 'totalCount' AS integer),
                    CASE WHEN jsonb_typeof(q.answer_key -> 'correctAnswers') = 'object'
                         THEN (SELECT count(*) FROM jsonb_object_keys(
                                   q.answer_key -> 'correctAnswers'))
                    END) AS total
    FROM exam_submissions x
    JOIN submissions s ON s.id = x.submission_id
    JOIN questions q ON q.id = s.question_id
    LEFT JOIN submission_details d ON d.submission_id = s.id
    WHERE x.session_id = %(session_id)s
    ORDER BY x.created_at, s.id
""")

_COMPLETE_SESSION = Sql("""
    UPDATE exam_sessions
    SET listening_score = %(listening)s, reading_score = %(reading)s,
        writing_score = %(writing)s, speaking_score = %(speaking)s,
        overall_score = %(overall)s, status = 'completed', completed_at = %(now)s,
        updated_at = now()
    WHERE id = %(session_id)s AND status = 'submitted'
""")


def exam_parts(session: Tx, *, session_id: uuid.UUID) -> list[Part]:
    """A session's parts as their submissions stand."""
    return [
        Part(
            submission_id=row.id,
            question_id=row.question_id,
            skill=Skill(row.skill),
            format=QuestionFormat(row.format),
            status=SubmissionStatus(row.status),
            score=row.score,
            correct=row.correct,
            total=row.total,
        )
        for row in execute(session, _PARTS, {"session_id": session_id}).fetchall()
    ]


def exam_part_final(
    session: Tx,
    *,
    submission_id: uuid.UUID,
    session_id: uuid.UUID,
    result: Mapping[str, Any] | None,
    now: datetime,
) -> SessionScores | None:
    """A part of the session got its final score in this transaction; the session's scores
    when that completed it, else None."""
    locked = execute(session, _LOCK_FOR_COMPLETION, {"session_id": session_id}).fetchone()
    if locked is None:
        return None
    correct = all_items_right(
        _int((result or {}).get("correctCount")), _int((result or {}).get("totalCount"))
    )
    if correct is not None:
        execute(
            session,
            _MARK_CORRECT,
            {"correct": correct, "submission_id": submission_id, "session_id": session_id},
        )
    if locked.status != ExamStatus.SUBMITTED.value:
        return None
    scores = session_scores(exam_parts(session, session_id=session_id))
    if scores is None:
        return None
    execute(
        session,
        _COMPLETE_SESSION,
        {
            "session_id": session_id,
            "now": now,
            "listening": scores.listening,
            "reading": scores.reading,
            "writing": scores.writing,
            "speaking": scores.speaking,
            "overall": scores.overall,
        },
    )
    return scores


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
