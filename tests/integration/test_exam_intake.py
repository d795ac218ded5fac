"""Submitting a mock exam: sessions no longer in progress, answers that do not fit and
blueprints that are not lists of question ids are refused with nothing written; a blank or
null answer is an unanswered part; a question repeated in the blueprint is one part."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.exam_intake import ExamRefused, submit_exam
from domain.enums import ExamStatus, QuestionFormat
from domain.errors import NotFound
from tests.exam_fixtures import make_exam
from tests.integration.exam_rows import parts, session_row

F = QuestionFormat


@pytest.mark.parametrize("status", [ExamStatus.ABANDONED, ExamStatus.COMPLETED])
def test_an_abandoned_or_completed_session_is_refused_and_nothing_is_written(
    engine: Engine, session_factory: sessionmaker[Session], status: ExamStatus
) -> None:
    fixture = make_exam(session_factory)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE exam_sessions SET status = :s WHERE id = :id"),
            {"s": status.value, "id": fixture.session_id},
        )
    with pytest.raises(ExamRefused, match=f"is {status.value}"), session_factory.begin() as session:
        submit_exam(session, session_id=fixture.session_id)
    with pytest.raises(NotFound), session_factory.begin() as session:
        submit_exam(session, session_id=uuid.uuid4())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM submissions")).scalar_one() == 0


def test_a_stored_answer_that_does_not_fit_refuses_the_session_naming_it(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    fixture = make_exam(session_factory, answers={F.WRITING_TASK_1: {"text": 42}})
    with (
        pytest.raises(ExamRefused, match=r"exam_answers\[.*\]\.answer\.text"),
        session_factory.begin() as session,
    ):
        submit_exam(session, session_id=fixture.session_id)
    assert session_row(engine, fixture.session_id).status == "in_progress"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one() == 0


def test_a_blank_draft_or_a_null_answer_counts_as_unanswered(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a saved blank essay draft and a speaking answer stored as JSON null
    fixture = make_exam(session_factory, answers={F.WRITING_TASK_2: {"text": "  "}})
    talk = next(q for q, f in fixture.questions.items() if f is F.SPEAKING_PART_1)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE exam_answers SET answer = 'null' WHERE session_id = :s AND question_id = :q"
            ),
            {"s": fixture.session_id, "q": talk},
        )
    # when the session is submitted: it is, and both parts carry the empty answer
    with session_factory.begin() as session:
        assert submit_exam(session, session_id=fixture.session_id).created == 12
    answers = {p.format: p.answer for p in parts(engine, fixture.session_id)}
    assert answers["writing_task_2"] == {"text": ""}
    assert answers["speaking_part_1"] == {"audioUrl": "", "durationSeconds": 0, "transcript": ""}


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ("duplicate", None),
        ("not a uuid", r"blueprint\.reading\.questionIds\[0\]: 'nope' is not a question id"),
        ("number", r"blueprint\.reading\.questionIds\[0\]: 7 is not a question id"),
        ("no speaking", r"blueprint\.speaking\.questionIds: must be a non-empty list"),
    ],
)
def test_blueprint_ids_are_checked_and_a_repeated_one_is_one_part(
    engine: Engine, session_factory: sessionmaker[Session], change: str, refusal: str | None
) -> None:
    fixture = make_exam(session_factory)
    with engine.begin() as conn:
        blueprint = conn.execute(
            sa.text(
                "SELECT e.blueprint FROM exams e JOIN exam_sessions s ON s.exam_id = e.id "
                "WHERE s.id = :id"
            ),
            {"id": fixture.session_id},
        ).scalar_one()
        ids = blueprint["reading"]["questionIds"]
        if change == "duplicate":
            ids.append(ids[0])
        elif change == "not a uuid":
            ids[0] = "nope"
        elif change == "number":
            ids[0] = 7
        else:
            del blueprint["speaking"]
        conn.execute(
            sa.text(
                "UPDATE exams SET blueprint = CAST(:b AS jsonb) WHERE id = "
                "(SELECT exam_id FROM exam_sessions WHERE id = :id)"
            ),
            {"b": json.dumps(blueprint), "id": fixture.session_id},
        )
    if refusal is None:
        with session_factory.begin() as session:
            assert submit_exam(session, session_id=fixture.session_id).created == 12
        return
    with pytest.raises(ExamRefused, match=refusal), session_factory.begin() as session:
        submit_exam(session, session_id=fixture.session_id)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM submissions")).scalar_one() == 0
