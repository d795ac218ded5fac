"""Exam sessions as the CLI and the console read them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import ExamStatus


@dataclass(frozen=True)
class ExamSessionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    exam_id: uuid.UUID
    status: ExamStatus
    scores: dict[str, Decimal | None]
    started_at: datetime
    completed_at: datetime | None


# The columns of a session, the same in both statements.
SESSION_GET = Sql("""
    SELECT id, user_id, exam_id, status::text AS status, listening_score, reading_score,
           writing_score, speaking_score, overall_score, started_at, completed_at
    FROM exam_sessions
    WHERE id = %(id)s AND deleted_at IS NULL
""")
SESSIONS_LIST = Sql("""
    SELECT id, user_id, exam_id, status::text AS status, listening_score, reading_score,
           writing_score, speaking_score, overall_score, started_at, completed_at
    FROM exam_sessions
    WHERE deleted_at IS NULL
      AND (CAST(%(status)s AS text) IS NULL OR status::text = %(status)s)
      AND (CAST(%(user)s AS uuid) IS NULL OR user_id = %(user)s)
    ORDER BY started_at DESC, id LIMIT %(limit)s
""")


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
    row = execute(session, SESSION_GET, {"id": session_id}).fetchone()
    return None if row is None else _session_row(row)


def exam_sessions_list(
    session: Tx, *, status: ExamStatus | None, user_id: uuid.UUID | None, limit: int
) -> list[ExamSessionRow]:
    """Sessions, the most recently started first."""
    rows = execute(
        session,
        SESSIONS_LIST,
        {"status": status.value if status else None, "user": user_id, "limit": limit},
    ).fetchall()
    return [_session_row(row) for row in rows]
