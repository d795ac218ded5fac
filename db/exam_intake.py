"""Exam intake: a whole session through grading_exam_intake_v1 (docs/exam-contract.md).

The function locks the session, checks its blueprint, writes every part through the same
internal function as a single request (so a part is refused for the same reasons, under
the same names), links each part in ``exam_submissions``, answers unanswered questions
with the empty answer and moves the session ``in_progress -> submitted``, in the
caller's transaction. A part's request id is derived from the session and the question
(``domain.exams.part_request_id``), so a second submission of the session creates nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from db.errors import ExamRefused
from db.intake import savepoint, sla_params
from db.statements import Sql, Tx, execute
from domain.answers import ANSWER_MAX_BYTES
from domain.enums import Skill
from domain.sla import DEFAULT_SLA

__all__ = ["EXAM_INTAKE", "ExamIntake", "ExamRefused", "submit_exam"]

EXAM_INTAKE = Sql("""
    SELECT submission_id, created
    FROM grading_exam_intake_v1(
        session_id => %(session_id)s, trace_id => %(trace_id)s,
        sla_listening => %(sla_listening)s, sla_reading => %(sla_reading)s,
        sla_writing => %(sla_writing)s, sla_speaking => %(sla_speaking)s,
        answer_max_bytes => %(answer_max_bytes)s)
""")


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

    NotFound for an unknown session; ExamRefused (an InvalidInput naming what is wrong,
    with the refusal's name) for an abandoned or completed one, or a blueprint or part
    that cannot be graded: nothing is written then, and the caller's transaction stays
    usable. A session already submitted: nothing new, its parts.
    """
    params = {
        "session_id": session_id,
        "trace_id": trace_id,
        "answer_max_bytes": answer_max_bytes,
        **sla_params(sla),
    }
    with savepoint(session):
        rows = execute(session, EXAM_INTAKE, params).fetchall()
    return ExamIntake(
        session_id, sum(1 for row in rows if row.created), [row.submission_id for row in rows]
    )
