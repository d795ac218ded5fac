"""Exam sessions through the pipeline: intake of a whole session, and its completion.

Intake (``submit_exam``) turns an in_progress session into one submission per blueprint
question, in ONE transaction: the session row is locked, every part gets its four
intake rows (submission, answer, ``submitted`` event, ``grading.request`` outbox row)
and its ``exam_submissions`` link, unanswered questions get an empty answer, and the
session goes ``in_progress -> submitted``. The write is one statement (``INTAKE``), the
same SQL docs/exam-contract.md gives producers in other languages. A part's request id
is derived from the session and the question (``domain.exams.part_request_id``), so a
second submission of the session creates nothing.

Completion (``exam_part_final``) runs inside the transaction that gives a part its final
score, from the one result path: the session row is locked (two last parts completing
at once complete it once), the part's ``exam_answers.is_correct`` is set, and when every
part is final the session gets its scores, ``completed`` and ``completed_at``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from db.statements import Tx, execute
from domain.answers import ANSWER_MAX_BYTES, check_size, validate_answer
from domain.enums import ExamStatus, QuestionFormat, Skill, SubmissionStatus
from domain.errors import InvalidInput, NotFound
from domain.exams import Part, SessionScores, all_items_right, is_empty_answer, session_scores
from domain.sla import DEFAULT_SLA

SKILL_KEYS = tuple(skill.value for skill in Skill)


class ExamRefused(InvalidInput):
    """The session cannot be submitted (abandoned, completed, or its blueprint is unusable)."""


_LOCK_SESSION = """
    SELECT es.status::text AS status, es.user_id, es.deleted_at, e.blueprint
    FROM exam_sessions es
    JOIN exams e ON e.id = es.exam_id
    WHERE es.id = %(session_id)s
    FOR UPDATE OF es
"""

_BLUEPRINT_QUESTIONS = """
    SELECT i.id AS question_id, q.id IS NOT NULL AS found, q.skill::text AS question_skill,
           q.format::text AS format, a.answer
    FROM unnest(CAST(%(ids)s AS uuid[])) AS i(id)
    LEFT JOIN questions q ON q.id = i.id AND q.deleted_at IS NULL
    LEFT JOIN exam_answers a ON a.session_id = %(session_id)s AND a.question_id = i.id
"""

# The write, as one statement: nothing unless the session is in_progress and every part
# is usable. docs/exam-contract.md gives the same statement with psql variables.
INTAKE = """
WITH session AS (
    SELECT es.id, es.user_id, e.blueprint
    FROM exam_sessions es
    JOIN exams e ON e.id = es.exam_id
    WHERE es.id = %(session_id)s AND es.status = 'in_progress' AND es.deleted_at IS NULL
),
blueprint AS (
    -- A question listed twice is one part; an id that is not a UUID matches no question.
    SELECT DISTINCT s.id AS session_id, s.user_id, skill.key AS skill,
           CASE WHEN qid.value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN CAST(qid.value AS uuid) END AS question_id
    FROM session s
    CROSS JOIN LATERAL jsonb_each(
        CASE WHEN jsonb_typeof(s.blueprint) = 'object' THEN s.blueprint ELSE '{}' END
    ) AS skill
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(skill.value -> 'questionIds') = 'array'
             THEN skill.value -> 'questionIds' ELSE '[]' END
    ) AS qid(value)
    WHERE skill.key IN ('listening', 'reading', 'writing', 'speaking')
),
stored AS (
    SELECT b.*, q.skill AS question_skill, q.format, a.answer AS stored_answer,
           -- No answer, a JSON null, or a blank draft: the question was left unanswered.
           coalesce(a.answer IS NULL OR a.answer = 'null'
                    OR CASE split_part(CAST(q.format AS text), '_', 1)
                           WHEN 'writing' THEN coalesce(a.answer ->> 'text', '') !~ '\\S'
                           WHEN 'speaking' THEN coalesce(a.answer ->> 'audioUrl', '') !~ '\\S'
                                            AND coalesce(a.answer ->> 'transcript', '') !~ '\\S'
                           ELSE false
                       END, true) AS unanswered
    FROM blueprint b
    LEFT JOIN questions q ON q.id = b.question_id AND q.deleted_at IS NULL
    LEFT JOIN exam_answers a ON a.session_id = b.session_id AND a.question_id = b.question_id
),
parts AS (
    SELECT x.session_id, x.user_id, x.skill, x.question_id, x.question_skill, x.format,
           x.unanswered,
           CASE WHEN NOT x.unanswered THEN x.stored_answer
                ELSE CASE split_part(CAST(x.format AS text), '_', 1)
                    WHEN 'writing' THEN jsonb_build_object('text', '')
                    WHEN 'speaking' THEN jsonb_build_object('audioUrl', '', 'durationSeconds', 0,
                                                            'transcript', '')
                    ELSE jsonb_build_object('answers', jsonb_build_object())
                END
           END AS answer,
           CAST(md5(CAST(x.session_id AS text) || ':' || CAST(x.question_id AS text)) AS uuid)
               AS request_id,
           now() + CASE CAST(x.question_skill AS text)
                       WHEN 'listening' THEN %(sla_listening)s
                       WHEN 'reading' THEN %(sla_reading)s
                       WHEN 'writing' THEN %(sla_writing)s
                       ELSE %(sla_speaking)s
                   END AS deadline
    FROM stored x
),
accepted AS (
    -- Every part, or none: a question that is missing or of another skill, or a stored
    -- answer that does not fit its format, refuses the whole session.
    SELECT p.* FROM parts p
    WHERE NOT EXISTS (
        SELECT 1 FROM parts x
        WHERE x.format IS NULL
           OR CAST(x.question_skill AS text) <> x.skill
           OR NOT coalesce(CASE CAST(x.question_skill AS text)
                  WHEN 'writing' THEN
                      jsonb_typeof(x.answer -> 'text') = 'string'
                      AND (x.unanswered OR x.answer ->> 'text' ~ '\\S')
                  WHEN 'speaking' THEN
                      jsonb_typeof(x.answer -> 'audioUrl') = 'string'
                      AND jsonb_typeof(x.answer -> 'durationSeconds') = 'number'
                      AND coalesce(jsonb_typeof(x.answer -> 'transcript'), 'null')
                          IN ('string', 'null')
                      AND (x.unanswered OR x.answer ->> 'audioUrl' ~ '\\S')
                  ELSE
                      jsonb_typeof(x.answer -> 'answers') = 'object'
                      AND NOT EXISTS (
                          SELECT 1 FROM jsonb_each(x.answer -> 'answers') AS item
                          WHERE item.key !~ '^[0-9]+$' OR jsonb_typeof(item.value) <> 'string')
              END, false)
    )
    AND (SELECT count(DISTINCT skill) FROM parts) = 4
),
submission AS (
    INSERT INTO submissions (user_id, question_id, skill, status, attempt, request_id, deadline)
    SELECT user_id, question_id, question_skill, 'pending', 1, request_id, deadline
    FROM accepted
    ON CONFLICT (request_id) DO NOTHING
    RETURNING id, request_id, user_id, question_id, skill, attempt, deadline
),
detail AS (
    INSERT INTO submission_details (submission_id, answer)
    SELECT s.id, a.answer FROM submission s JOIN accepted a USING (request_id)
),
event AS (
    INSERT INTO submission_events (submission_id, kind, data, occurred_at)
    SELECT s.id, 'submitted',
           jsonb_build_object('requestId', s.request_id, 'attempt', s.attempt,
                              'traceId', CAST(%(trace_id)s AS text), 'questionId', s.question_id,
                              'examSessionId', a.session_id, 'unanswered', a.unanswered),
           clock_timestamp()
    FROM submission s JOIN accepted a USING (request_id)
),
outbox_row AS (
    INSERT INTO outbox (submission_id, aggregate_type, aggregate_id, message_type, payload)
    SELECT s.id, 'submission', s.id, 'grading.request',
           jsonb_build_object(
               'requestId', s.request_id,
               'submissionId', s.id,
               'userId', s.user_id,
               'skill', s.skill,
               'attempt', s.attempt,
               'deadline', to_char(s.deadline AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               'traceId', CAST(%(trace_id)s AS text))
    FROM submission s
),
link AS (
    INSERT INTO exam_submissions (session_id, submission_id, skill)
    SELECT a.session_id, s.id, s.skill FROM submission s JOIN accepted a USING (request_id)
),
blank AS (
    -- The question left unanswered is answered with nothing, so every part has its row.
    INSERT INTO exam_answers (session_id, question_id, answer)
    SELECT session_id, question_id, answer FROM accepted WHERE unanswered
    ON CONFLICT (session_id, question_id) DO NOTHING
),
submitted AS (
    UPDATE exam_sessions SET status = 'submitted', updated_at = now()
    WHERE id IN (SELECT session_id FROM accepted)
    RETURNING id
)
SELECT (SELECT count(*) FROM submission) AS parts, (SELECT count(*) FROM submitted) AS sessions
"""


@dataclass(frozen=True)
class ExamIntake:
    session_id: uuid.UUID
    # Submissions created now; 0 when the session had been submitted already.
    created: int
    # The session's parts (submission ids), as they stand after this call.
    submission_ids: list[uuid.UUID]


def submit_exam(
    session: Tx,
    *,
    session_id: uuid.UUID,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
    trace_id: str | None = None,
    answer_max_bytes: int = ANSWER_MAX_BYTES,
) -> ExamIntake:
    """Submit an exam session for grading in the caller's transaction (no commit).

    NotFound for an unknown session; ExamRefused (an InvalidInput naming what is wrong)
    for an abandoned or completed one, or a blueprint or stored answer that cannot be
    graded: nothing is written then. A session already submitted: nothing new, its parts.
    """
    locked = execute(session, _LOCK_SESSION, {"session_id": session_id}).fetchone()
    if locked is None or locked.deleted_at is not None:
        raise NotFound(f"no exam session {session_id}")
    status = ExamStatus(locked.status)
    if status is ExamStatus.SUBMITTED:
        return ExamIntake(session_id, 0, _part_ids(session, session_id))
    if status is not ExamStatus.IN_PROGRESS:
        raise ExamRefused(
            "session", f"{session_id} is {status.value}: only an in_progress one is submitted"
        )
    _check_parts(session, session_id, locked.blueprint, answer_max_bytes=answer_max_bytes)
    row = execute(
        session,
        INTAKE,
        {
            "session_id": session_id,
            "trace_id": trace_id or uuid.uuid4().hex,
            **{f"sla_{skill.value}": sla[skill] for skill in Skill},
        },
    ).fetchone()
    if row is None or row.sessions != 1:
        # _check_parts and the statement's own guard disagree: a bug, not bad input.
        raise RuntimeError(f"exam session {session_id} was not submitted")
    return ExamIntake(session_id, int(row.parts), _part_ids(session, session_id))


def _check_parts(
    session: Tx, session_id: uuid.UUID, blueprint: Any, *, answer_max_bytes: int
) -> None:
    """Refuse, naming it, what the intake statement would silently refuse."""
    if not isinstance(blueprint, dict):
        raise ExamRefused("blueprint", "must be an object of skills")
    wanted: list[tuple[str, uuid.UUID]] = []
    for skill in SKILL_KEYS:
        part = blueprint.get(skill)
        ids = part.get("questionIds") if isinstance(part, dict) else None
        if not isinstance(ids, list) or not ids:
            raise ExamRefused(f"blueprint.{skill}.questionIds", "must be a non-empty list")
        wanted += [(skill, _question_id(skill, index, value)) for index, value in enumerate(ids)]
    rows = execute(
        session,
        _BLUEPRINT_QUESTIONS,
        {"session_id": session_id, "ids": sorted({qid for _, qid in wanted})},
    ).fetchall()
    found = {row.question_id: row for row in rows}
    for skill, question_id in wanted:
        row = found[question_id]
        where = f"blueprint.{skill}.questionIds[{question_id}]"
        if not row.found:
            raise ExamRefused(where, "no such question")
        if row.question_skill != skill:
            raise ExamRefused(where, f"is a {row.question_skill} question")
        if is_empty_answer(Skill(skill), row.answer):
            continue  # graded as unanswered
        try:
            validate_answer(QuestionFormat(row.format), row.answer)
            check_size(row.answer, max_bytes=answer_max_bytes)
        except InvalidInput as exc:
            raise ExamRefused(f"exam_answers[{question_id}].{exc.field}", exc.reason) from None


def _question_id(skill: str, index: int, value: Any) -> uuid.UUID:
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ExamRefused(f"blueprint.{skill}.questionIds[{index}]", f"{value!r} is not a question id")


def _part_ids(session: Tx, session_id: uuid.UUID) -> list[uuid.UUID]:
    rows = execute(
        session,
        "SELECT submission_id FROM exam_submissions WHERE session_id = %(id)s "
        "ORDER BY created_at, submission_id",
        {"id": session_id},
    ).fetchall()
    return [row.submission_id for row in rows]


# --- completion -------------------------------------------------------------------------

_LOCK_FOR_COMPLETION = """
    SELECT status::text AS status FROM exam_sessions WHERE id = %(session_id)s FOR UPDATE
"""

_MARK_CORRECT = """
    UPDATE exam_answers a
    SET is_correct = %(correct)s, updated_at = now()
    FROM submissions s
    WHERE s.id = %(submission_id)s
      AND a.session_id = %(session_id)s
      AND a.question_id = s.question_id
"""

_PARTS = """
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
"""

_COMPLETE_SESSION = """
    UPDATE exam_sessions
    SET listening_score = %(listening)s, reading_score = %(reading)s,
        writing_score = %(writing)s, speaking_score = %(speaking)s,
        overall_score = %(overall)s, status = 'completed', completed_at = %(now)s,
        updated_at = now()
    WHERE id = %(session_id)s AND status = 'submitted'
"""


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


@dataclass(frozen=True)
class ExamSessionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    exam_id: uuid.UUID
    status: ExamStatus
    scores: dict[str, Decimal | None]
    started_at: datetime
    completed_at: datetime | None


_SESSION_COLUMNS = """
    SELECT id, user_id, exam_id, status::text AS status, listening_score, reading_score,
           writing_score, speaking_score, overall_score, started_at, completed_at
    FROM exam_sessions
"""


def _session_row(row: Any) -> ExamSessionRow:
    return ExamSessionRow(
        id=row.id,
        user_id=row.user_id,
        exam_id=row.exam_id,
        status=ExamStatus(row.status),
        scores={
            "listening": row.listening_score,
            "reading": row.reading_score,
            "writing": row.writing_score,
            "speaking": row.speaking_score,
            "overall": row.overall_score,
        },
        started_at=row.started_at,
        completed_at=row.completed_at,
    )


def exam_session_get(session: Tx, *, session_id: uuid.UUID) -> ExamSessionRow | None:
    row = execute(
        session,
        _SESSION_COLUMNS + " WHERE id = %(id)s AND deleted_at IS NULL",
        {"id": session_id},
    ).fetchone()
    return None if row is None else _session_row(row)


def exam_sessions_list(
    session: Tx, *, status: ExamStatus | None, user_id: uuid.UUID | None, limit: int
) -> list[ExamSessionRow]:
    """Sessions, the most recently started first."""
    rows = execute(
        session,
        _SESSION_COLUMNS
        + " WHERE deleted_at IS NULL"
        + " AND (CAST(%(status)s AS text) IS NULL OR status::text = %(status)s)"
        + " AND (CAST(%(user)s AS uuid) IS NULL OR user_id = %(user)s)"
        + " ORDER BY started_at DESC, id LIMIT %(limit)s",
        {"status": status.value if status else None, "user": user_id, "limit": limit},
    ).fetchall()
    return [_session_row(row) for row in rows]
