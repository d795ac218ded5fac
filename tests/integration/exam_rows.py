"""What an exam session's rows say: the session, and its parts with their submissions."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def session_row(engine: Engine, session_id: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT * FROM exam_sessions WHERE id = :id"), {"id": session_id}
        ).one()


def parts(engine: Engine, session_id: uuid.UUID) -> list[Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.id, s.question_id, s.skill::text AS skill, s.status::text AS status, "
                "s.score, s.request_id, d.answer, q.format::text AS format "
                "FROM exam_submissions x JOIN submissions s ON s.id = x.submission_id "
                "JOIN questions q ON q.id = s.question_id "
                "JOIN submission_details d ON d.submission_id = s.id WHERE x.session_id = :id"
            ),
            {"id": session_id},
        ).all()
        return list(rows)
