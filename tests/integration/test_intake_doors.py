"""Every refusal through every door: the doors of intake agree because they call one function.

The four doors: the Python API (``submit_for_grading``), the plain SQL function from a
driver with no project code (the driver example of docs/producer-contract.md, run as
written), exam intake through Python (``submit_exam``) and the plain exam function. Each
case breaks one thing of an exam's writing part and submits that part through the single
doors and the whole session through the exam doors: the same refusal name, the same
field (an exam names the part), and not one row written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.errors import ExamRefused, IntakeRefused
from db.exam_intake import submit_exam
from db.grading import submission_lock_for_grading
from db.intake import submit_for_grading
from domain.enums import QuestionFormat
from tests.contracts import DRIVER_MARKER, contract_block
from tests.exam_fixtures import ExamFixture, make_exam

F = QuestionFormat
WRITTEN_TABLES = (
    "submissions",
    "submission_details",
    "submission_events",
    "outbox",
    "exam_submissions",
    "exam_answers",
)
# A case: what it breaks in the database (engine, fixture, the writing part's question).
Breaks = Callable[[Engine, ExamFixture, uuid.UUID], uuid.UUID]


def update(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def question_set(column_value: str) -> Breaks:
    def breaks(engine: Engine, fixture: ExamFixture, qid: uuid.UUID) -> uuid.UUID:
        update(engine, f"UPDATE questions SET {column_value} WHERE id = :q", q=qid)
        return qid

    return breaks


def answer_set(answer: str) -> Breaks:
    def breaks(engine: Engine, fixture: ExamFixture, qid: uuid.UUID) -> uuid.UUID:
        update(
            engine,
            "UPDATE exam_answers SET answer = CAST(:a AS jsonb) "
            "WHERE session_id = :s AND question_id = :q",
            a=answer,
            s=fixture.session_id,
            q=qid,
        )
        return qid

    return breaks


def user_deleted(engine: Engine, fixture: ExamFixture, qid: uuid.UUID) -> uuid.UUID:
    update(engine, "UPDATE users SET deleted_at = now() WHERE id = :u", u=fixture.user_id)
    return qid


def question_unknown(engine: Engine, fixture: ExamFixture, qid: uuid.UUID) -> uuid.UUID:
    unknown = uuid.uuid4()
    update(
        engine,
        "UPDATE exams SET blueprint = jsonb_set(blueprint, '{writing,questionIds,0}', "
        "to_jsonb(CAST(:u AS text))) "
        "WHERE id = (SELECT exam_id FROM exam_sessions WHERE id = :s)",
        u=str(unknown),
        s=fixture.session_id,
    )
    return unknown


# (case, what it breaks, refusal, field); every door must answer the same.
CASES: list[tuple[str, Breaks, str, str]] = [
    ("inactive question", question_set("is_active = false"), "question_inactive", "question_id"),
    ("deleted question", question_set("deleted_at = now()"), "question_deleted", "question_id"),
    ("unknown question", question_unknown, "question_unknown", "question_id"),
    (
        "format of another skill",
        question_set("format = 'reading_mcq'"),
        "format_skill_mismatch",
        "question_id",
    ),
    ("deleted user", user_deleted, "user_deleted", "user_id"),
    ("essay not a string", answer_set('{"text": 42}'), "answer_shape", "answer.text"),
    (
        "essay over the size limit",
        answer_set(json.dumps({"text": "x" * 300_000})),
        "answer_too_large",
        "answer",
    ),
]


def counts(engine: Engine, session_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as conn:
        found: dict[str, Any] = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in WRITTEN_TABLES
        }
        found["session"] = conn.execute(
            sa.text("SELECT status::text FROM exam_sessions WHERE id = :s"), {"s": session_id}
        ).scalar_one()
    return found


def stored_answer(engine: Engine, session_id: uuid.UUID, qid: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT answer FROM exam_answers WHERE session_id = :s AND question_id = :q"),
            {"s": session_id, "q": qid},
        ).scalar()


def python_single(factory: sessionmaker[Session], request: dict[str, Any]) -> tuple[str, str]:
    with factory() as session, pytest.raises(IntakeRefused) as refused:
        submit_for_grading(session, **request)
    return refused.value.refusal, refused.value.field


def sql_single(db_url: str, request: dict[str, Any]) -> tuple[str, str]:
    """The document's driver example, run as written: psycopg and nothing of ours."""
    names = {"database_url": db_url, **request}
    with pytest.raises(psycopg.Error) as refused:
        exec(contract_block(DRIVER_MARKER, "python"), names)
    assert refused.value.sqlstate == "VG001"
    return str(refused.value.diag.constraint_name), str(refused.value.diag.column_name)


def python_exam(factory: sessionmaker[Session], session_id: uuid.UUID) -> tuple[str, str]:
    with factory() as session, pytest.raises(ExamRefused) as refused:
        submit_exam(session, session_id=session_id)
    return refused.value.refusal, refused.value.field


def sql_exam(db_url: str, session_id: uuid.UUID) -> tuple[str, str]:
    with psycopg.connect(db_url) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute("SELECT * FROM grading_exam_intake_v1(%s)", [session_id])
    assert refused.value.sqlstate == "VG004"
    return str(refused.value.diag.constraint_name), str(refused.value.diag.column_name)


@pytest.mark.parametrize(
    ("breaks", "refusal", "field"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_every_door_refuses_the_same_way_and_writes_nothing(
    db_url: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    breaks: Breaks,
    refusal: str,
    field: str,
) -> None:
    # given an exam whose writing task 1 part has one thing wrong
    fixture = make_exam(session_factory)
    essay = next(q for q, f in fixture.questions.items() if f is F.WRITING_TASK_1)
    answer = stored_answer(engine, fixture.session_id, essay)
    qid = breaks(engine, fixture, essay)
    request = {
        "request_id": uuid.uuid4(),
        "user_id": fixture.user_id,
        "question_id": qid,
        "answer": stored_answer(engine, fixture.session_id, qid) or answer,
    }
    before = counts(engine, fixture.session_id)
    # when that part goes through each single door, and the session through each exam door
    answers = {
        "python single": python_single(session_factory, request),
        "sql single": sql_single(db_url, request),
        "python exam": python_exam(session_factory, fixture.session_id),
        "sql exam": sql_exam(db_url, fixture.session_id),
    }
    # then every door names the same refusal and field (an exam names the part too: the
    # broken one, or the first when it is the learner who cannot be graded)
    part = f"exam_answers[{next(iter(fixture.questions)) if breaks is user_deleted else qid}]."
    assert answers == {
        "python single": (refusal, field),
        "sql single": (refusal, field),
        "python exam": (refusal, part + field),
        "sql exam": (refusal, part + field),
    }
    # and not one row was written anywhere, the session still in progress
    assert counts(engine, fixture.session_id) == before
    assert before["session"] == "in_progress"


def test_a_single_door_refuses_an_unknown_user_and_a_zero_attempt_alike(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    fixture = make_exam(session_factory)
    essay = next(q for q, f in fixture.questions.items() if f is F.WRITING_TASK_1)
    request = {
        "request_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "question_id": essay,
        "answer": {"text": "Dear Lan"},
    }
    before = counts(engine, fixture.session_id)
    assert python_single(session_factory, request) == ("user_unknown", "user_id")
    assert sql_single(db_url, request) == ("user_unknown", "user_id")
    with psycopg.connect(db_url) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(
            "SELECT * FROM grading_intake_v1(%s, %s, %s, %s, 0)",
            [uuid.uuid4(), fixture.user_id, essay, json.dumps({"text": "Dear Lan"})],
        )
    assert refused.value.diag.constraint_name == "attempt_range"
    assert counts(engine, fixture.session_id) == before


def test_zero_width_text_is_refused_alone_and_graded_as_unanswered_in_an_exam(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given an essay of zero-width spaces saved as the learner's exam answer
    blank = {"text": "\u200b\u200b"}
    fixture = make_exam(session_factory, answers={F.WRITING_TASK_2: blank})
    essay = next(q for q, f in fixture.questions.items() if f is F.WRITING_TASK_2)
    request = {
        "request_id": uuid.uuid4(),
        "user_id": fixture.user_id,
        "question_id": essay,
        "answer": blank,
    }
    # when it is submitted alone: refused as blank by both single doors
    assert python_single(session_factory, request) == ("answer_blank", "answer.text")
    assert sql_single(db_url, request) == ("answer_blank", "answer.text")
    # when the session is submitted: the part is written with the empty answer, unanswered
    with session_factory.begin() as session:
        assert submit_exam(session, session_id=fixture.session_id).created == 12
    with engine.connect() as conn:
        part_id, answer, unanswered = conn.execute(
            sa.text(
                "SELECT s.id, d.answer, e.data -> 'unanswered' FROM submissions s "
                "JOIN submission_details d ON d.submission_id = s.id "
                "JOIN submission_events e ON e.submission_id = s.id AND e.kind = 'submitted' "
                "WHERE s.question_id = :q"
            ),
            {"q": essay},
        ).one()
    assert (answer, unanswered) == ({"text": ""}, True)
    # and the worker, which asks the database's one definition, grades it as unanswered
    with session_factory.begin() as session:
        locked = submission_lock_for_grading(session, id=part_id)
    assert locked is not None and locked.unanswered
    # while an answered part of the same exam is not
    with engine.connect() as conn:
        answered = conn.execute(
            sa.text(
                "SELECT s.id FROM submissions s JOIN exam_submissions x ON x.submission_id = s.id "
                "WHERE s.question_id <> :q AND s.skill = 'writing' LIMIT 1"
            ),
            {"q": essay},
        ).scalar_one_or_none()
    assert answered is not None
    with session_factory.begin() as session:
        other = submission_lock_for_grading(session, id=answered)
    assert other is not None and not other.unanswered


def test_a_number_beyond_a_double_is_refused_by_the_sql_doors(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given an essay saved with a number no JSON reader can read back (jsonb holds it)
    huge = '{"text": "Dear Lan", "words": 1e400}'
    fixture = make_exam(session_factory)
    essay = next(q for q, f in fixture.questions.items() if f is F.WRITING_TASK_1)
    answer_set(huge)(engine, fixture, essay)
    before = counts(engine, fixture.session_id)
    # when it goes through the plain function alone, and in the session through both doors
    with psycopg.connect(db_url) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(
            "SELECT * FROM grading_intake_v1(%s, %s, %s, %s)",
            [uuid.uuid4(), fixture.user_id, essay, huge],
        )
    # then each refuses it by name, writing nothing
    assert (refused.value.diag.constraint_name, refused.value.diag.column_name) == (
        "answer_number",
        "answer",
    )
    part = (f"exam_answers[{essay}].answer", "answer_number")
    assert python_exam(session_factory, fixture.session_id)[::-1] == part
    assert sql_exam(db_url, fixture.session_id)[::-1] == part
    assert counts(engine, fixture.session_id) == before
