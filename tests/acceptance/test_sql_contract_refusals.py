"""The producer contract refusing, as other languages meet it: docs/producer-contract.md by psql.

A request_id reused with another answer, and each broken part of a request, is refused by
name and writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.models import SubmissionDetail
from domain.enums import QuestionFormat, Skill
from tests.acceptance.test_sql_contract import seed
from tests.contracts import (
    contract_outcome,
    contract_refusal,
    psql_contract,
    run_contract_sql,
)
from tests.factories import (
    INTAKE_TABLES,
    intake_counts,
    make_question,
    make_user,
)


def test_contract_sql_with_a_different_answer_writes_nothing_and_reports_it(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    # given a request the SQL already wrote
    user_id, question_id = seed(session_factory, QuestionFormat.READING_MCQ)
    request_id = uuid.uuid4()
    original = {"answers": {"1": "B"}}
    run_contract_sql(
        db_url, request_id=request_id, user_id=user_id, question_id=question_id, answer=original
    )
    # when the same request_id comes with another answer
    clash = psql_contract(
        db_url,
        request_id=request_id,
        user_id=user_id,
        question_id=question_id,
        answer={"answers": {"1": "D"}},
    )
    # then nothing changed and the refusal says the answer, and only it, differs
    assert clash.returncode != 0, clash.stdout
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)
        assert session.execute(sa.select(SubmissionDetail.answer)).scalar_one() == original
    assert contract_outcome(clash) == "conflict"
    assert contract_refusal(clash) == {
        "sqlstate": "VG002",
        "refusal": "request_conflict",
        "field": "request_id",
    }
    assert "with a different answer\n" in clash.stderr


@pytest.mark.parametrize(
    ("case", "answer", "refusal", "field"),
    [
        ("inactive question", {"answers": {"1": "A"}}, "question_inactive", "question_id"),
        ("deleted question", {"answers": {"1": "A"}}, "question_deleted", "question_id"),
        ("deleted user", {"answers": {"1": "A"}}, "user_deleted", "user_id"),
        ("attempt 0", {"answers": {"1": "A"}}, "attempt_range", "attempt"),
        ("objective answer not an object", {"answers": ["A"]}, "answer_shape", "answer.answers"),
        ("objective item not a string", {"answers": {"1": 2}}, "answer_shape", "answer.answers.1"),
        (
            "objective item number not a number",
            {"answers": {"one": "A"}},
            "answer_shape",
            "answer.answers",
        ),
        (
            "format filed under another skill",
            {"answers": {"1": "A"}},
            "format_skill_mismatch",
            "question_id",
        ),
    ],
)
def test_contract_sql_refuses_bad_input_without_writing(
    db_url: str,
    session_factory: sessionmaker[Session],
    case: str,
    answer: dict[str, Any],
    refusal: str,
    field: str,
) -> None:
    # given one broken part of an otherwise good request
    with session_factory.begin() as session:
        user_id = make_user(session, deleted=case == "deleted user")
        question_id = make_question(
            session,
            format=QuestionFormat.READING_MCQ,
            is_active=case != "inactive question",
            deleted=case == "deleted question",
            skill=Skill.WRITING if case == "format filed under another skill" else None,
        )
    # when the SQL runs
    done = psql_contract(
        db_url,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer=answer,
        attempt=0 if case == "attempt 0" else 1,
    )
    # then it reads "refused", by name, and no row was written in any of the four tables
    assert done.returncode != 0, done.stdout
    assert contract_outcome(done) == "refused"
    assert contract_refusal(done) == {"sqlstate": "VG001", "refusal": refusal, "field": field}
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 0)


@pytest.mark.parametrize(
    ("question_format", "answer", "field"),
    [
        (QuestionFormat.WRITING_TASK_1, {"text": "   "}, "answer.text"),
        (QuestionFormat.WRITING_TASK_1, {"text": "\u200b\u200b"}, "answer.text"),
        (QuestionFormat.WRITING_TASK_2, {"text": 250}, "answer.text"),
        (
            QuestionFormat.SPEAKING_PART_1,
            {"audioUrl": "https://a/b.webm"},
            "answer.durationSeconds",
        ),
        (
            QuestionFormat.SPEAKING_PART_2,
            {"audioUrl": "", "durationSeconds": 10},
            "answer.audioUrl",
        ),
        (
            QuestionFormat.SPEAKING_PART_3,
            {"audioUrl": "https://a/b.webm", "durationSeconds": -1},
            "answer.durationSeconds",
        ),
        (
            QuestionFormat.SPEAKING_PART_3,
            {"audioUrl": "https://a/b.webm", "durationSeconds": 3, "transcript": 7},
            "answer.transcript",
        ),
    ],
    ids=lambda value: str(value),
)
def test_contract_sql_refuses_malformed_writing_and_speaking_answers(
    db_url: str,
    session_factory: sessionmaker[Session],
    question_format: QuestionFormat,
    answer: dict[str, Any],
    field: str,
) -> None:
    # given a writing or speaking question and a malformed answer
    user_id, question_id = seed(session_factory, question_format)
    # when the SQL runs
    done = psql_contract(
        db_url, request_id=uuid.uuid4(), user_id=user_id, question_id=question_id, answer=answer
    )
    # then it reads "refused", naming the field, and nothing is written
    assert done.returncode != 0, done.stdout
    assert contract_outcome(done) == "refused"
    assert contract_refusal(done)["field"] == field
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 0)
