"""Rows the platform's other services own (users, questions, exams, exam sessions and
their answers), written as those services write them: for `make run`'s demo.

The grading back end never writes these in production; the demo plays the other services
so the pipeline has something to grade.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from psycopg.types.json import Jsonb

from db.statements import Sql, Tx, execute
from domain.enums import FORMAT_SKILL, QuestionFormat, QuestionLevel, UserRole

USER_INSERT = Sql("""
    INSERT INTO users (email, password_hash, full_name, role)
    VALUES (%(email)s, %(password_hash)s, %(full_name)s, CAST(%(role)s AS user_role))
    RETURNING id
""")

QUESTION_INSERT = Sql("""
    INSERT INTO questions (skill, level, format, content, answer_key)
    VALUES (CAST(%(skill)s AS skill), CAST(%(level)s AS question_level),
            CAST(%(format)s AS question_format), %(content)s, %(answer_key)s)
    RETURNING id
""")

EXAM_INSERT = Sql("""
    INSERT INTO exams (level, blueprint)
    VALUES (CAST(%(level)s AS question_level), %(blueprint)s)
    RETURNING id
""")

EXAM_SESSION_INSERT = Sql("""
    INSERT INTO exam_sessions (user_id, exam_id) VALUES (%(user_id)s, %(exam_id)s)
    RETURNING id
""")

EXAM_ANSWER_INSERT = Sql("""
    INSERT INTO exam_answers (session_id, question_id, answer)
    VALUES (%(session_id)s, %(question_id)s, %(answer)s)
""")

# The demo's accounts cannot sign in: no password hashes to this.
NO_LOGIN = "demo-account-no-login"


def user_create(
    tx: Tx, *, email: str, full_name: str, role: UserRole = UserRole.LEARNER
) -> uuid.UUID:
    params = {
        "email": email,
        "password_hash": NO_LOGIN,
        "full_name": full_name,
        "role": role.value,
    }
    return _new_id(tx, USER_INSERT, params)


def question_create(
    tx: Tx,
    *,
    question_format: QuestionFormat,
    level: QuestionLevel,
    content: Mapping[str, Any],
    answer_key: Mapping[str, Any] | None = None,
) -> uuid.UUID:
    params = {
        "skill": FORMAT_SKILL[question_format].value,
        "level": level.value,
        "format": question_format.value,
        "content": Jsonb(dict(content)),
        "answer_key": Jsonb(dict(answer_key)) if answer_key is not None else None,
    }
    return _new_id(tx, QUESTION_INSERT, params)


def exam_create(tx: Tx, *, level: QuestionLevel, blueprint: Mapping[str, Any]) -> uuid.UUID:
    return _new_id(tx, EXAM_INSERT, {"level": level.value, "blueprint": Jsonb(dict(blueprint))})


def exam_session_start(tx: Tx, *, user_id: uuid.UUID, exam_id: uuid.UUID) -> uuid.UUID:
    return _new_id(tx, EXAM_SESSION_INSERT, {"user_id": user_id, "exam_id": exam_id})


def exam_answer_save(
    tx: Tx, *, session_id: uuid.UUID, question_id: uuid.UUID, answer: Mapping[str, Any]
) -> None:
    params = {"session_id": session_id, "question_id": question_id, "answer": Jsonb(dict(answer))}
    execute(tx, EXAM_ANSWER_INSERT, params)


def _new_id(tx: Tx, statement: Sql, params: Mapping[str, Any]) -> uuid.UUID:
    row = execute(tx, statement, params).fetchone()
    assert row is not None  # INSERT ... RETURNING answers one row
    return uuid.UUID(str(row.id))
