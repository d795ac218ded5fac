"""The producer contract as other languages use it: docs/producer-contract.md run by psql.

The document's call of grading_intake_v1 (and its block for producers that write the rows
themselves) is run unchanged, so the document cannot drift from the schema, and the
committed JSON Schema of grading.request is compared with the one the model generates
now. Regenerate the schema file with:

    .venv/bin/python -m tests.acceptance.test_sql_contract
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.models import OutboxRow, Submission, SubmissionDetail, SubmissionEvent
from domain.enums import QuestionFormat, Skill, SubmissionStatus
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST, GradingRequest, parse_grading_request
from domain.sla import DEFAULT_SLA
from tests.contracts import (
    contract_outcome,
    contract_refusal,
    psql_contract,
    psql_tables,
    run_contract_sql,
)
from tests.factories import (
    INTAKE_TABLES,
    answer_key_for,
    intake_counts,
    make_question,
    make_user,
    valid_answer,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "grading-request.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = ".venv/bin/python -m tests.acceptance.test_sql_contract"

# One format per skill: the SQL's SLA is checked for each skill.
FORMAT_OF_SKILL = {
    Skill.LISTENING: QuestionFormat.LISTENING_MCQ,
    Skill.READING: QuestionFormat.READING_MCQ,
    Skill.WRITING: QuestionFormat.WRITING_TASK_1,
    Skill.SPEAKING: QuestionFormat.SPEAKING_PART_2,
}


def grading_request_schema() -> dict[str, Any]:
    """The JSON Schema of grading.request as the model defines it now.

    Validation mode: it documents what the relay and workers accept, which is what a
    producer must send (GradingRequest serializes to the same shape).
    """
    schema = GradingRequest.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


def render_schema() -> str:
    return json.dumps(grading_request_schema(), indent=2) + "\n"


def seed(
    factory: sessionmaker[Session], question_format: QuestionFormat, **question: Any
) -> tuple[uuid.UUID, uuid.UUID]:
    with factory.begin() as session:
        return make_user(session), make_question(session, format=question_format, **question)


def test_committed_json_schema_is_what_the_model_generates() -> None:
    # given the committed schema file / when compared with the model's schema now
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    # then they are the same
    assert committed == render_schema(), (
        f"{SCHEMA_FILE.name} is out of date with domain.messages.GradingRequest; "
        f"regenerate it with: {REGENERATE}"
    )


@pytest.mark.parametrize("legacy", [False, True], ids=["function", "rows by hand"])
@pytest.mark.parametrize("skill", list(Skill), ids=str)
def test_contract_sql_writes_the_four_rows(
    db_url: str, session_factory: sessionmaker[Session], skill: Skill, legacy: bool
) -> None:
    # given a learner and a question of this skill
    question_format = FORMAT_OF_SKILL[skill]
    user_id, question_id = seed(session_factory, question_format)
    request_id = uuid.uuid4()
    answer = valid_answer(question_format, answer_key_for(question_format))
    # when the document's SQL runs through psql (the call, or the rows written by hand)
    run_contract_sql(
        db_url,
        request_id=request_id,
        user_id=user_id,
        question_id=question_id,
        answer=answer,
        trace_id="trace-from-php",
        legacy=legacy,
    )
    # then the four rows are there with the contract's values
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)
        submission = session.execute(sa.select(Submission)).scalar_one()
        assert (submission.request_id, submission.user_id, submission.question_id) == (
            request_id,
            user_id,
            question_id,
        )
        assert (submission.status, submission.skill, submission.attempt) == (
            SubmissionStatus.PENDING,
            skill,
            1,
        )
        assert submission.deadline is not None
        assert submission.deadline - submission.created_at == DEFAULT_SLA[skill]
        assert session.get_one(SubmissionDetail, submission.id).answer == answer
        event = session.execute(sa.select(SubmissionEvent)).scalar_one()
        assert event.kind == "submitted"
        assert event.data == {
            "requestId": str(request_id),
            "attempt": 1,
            "traceId": "trace-from-php",
            "questionId": str(question_id),
        }
        row = session.execute(sa.select(OutboxRow)).scalar_one()
        assert (row.message_type, row.aggregate_type) == (
            MESSAGE_TYPE_GRADING_REQUEST,
            "submission",
        )
        assert row.aggregate_id == row.submission_id == submission.id
        assert row.status == "pending"
        # and the payload is a valid grading.request naming this submission
        request = parse_grading_request(row.payload)
        assert request == GradingRequest(
            request_id=request_id,
            submission_id=submission.id,
            user_id=user_id,
            skill=skill,
            attempt=1,
            deadline=submission.deadline,
            trace_id="trace-from-php",
        )


def test_contract_sql_generates_a_trace_id_when_none_is_given(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    # given a request without a trace id
    user_id, question_id = seed(session_factory, QuestionFormat.WRITING_TASK_2)
    # when the SQL runs
    run_contract_sql(
        db_url,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer={"text": "Cars should stay out of the old town."},
    )
    # then payload and event carry the same generated 32-hex trace id
    with session_factory() as session:
        payload = session.execute(sa.select(OutboxRow.payload)).scalar_one()
        event_data = session.execute(sa.select(SubmissionEvent.data)).scalar_one()
    trace_id = parse_grading_request(payload).trace_id
    assert trace_id is not None
    assert len(trace_id) == 32
    int(trace_id, 16)
    assert event_data is not None
    assert event_data["traceId"] == trace_id


def test_contract_sql_deadline_is_the_database_clock_plus_sla(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    # given a speaking question
    user_id, question_id = seed(session_factory, QuestionFormat.SPEAKING_PART_1)
    before = datetime.now(UTC)
    # when submitted through the SQL
    run_contract_sql(
        db_url,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer=valid_answer(QuestionFormat.SPEAKING_PART_1),
    )
    # then the payload's deadline is now + 60 minutes, in UTC with microseconds
    with session_factory() as session:
        payload = session.execute(sa.select(OutboxRow.payload)).scalar_one()
    assert payload["deadline"].endswith("Z")
    deadline = parse_grading_request(payload).deadline
    sla = DEFAULT_SLA[Skill.SPEAKING]
    assert before + sla - timedelta(seconds=5) <= deadline <= datetime.now(UTC) + sla


def test_contract_sql_twice_with_one_request_id_writes_once(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    # given a request the SQL already wrote
    user_id, question_id = seed(session_factory, QuestionFormat.READING_MCQ)
    request: dict[str, Any] = {
        "request_id": uuid.uuid4(),
        "user_id": user_id,
        "question_id": question_id,
        "answer": {"answers": {"1": "B", "2": "C"}},
    }
    first = psql_contract(db_url, **request)
    assert first.returncode == 0, first.stderr
    # when the producer retries it
    again = psql_contract(db_url, **request)
    assert again.returncode == 0, again.stderr
    # then still one submission and one outbox row
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)
        submission_id = session.execute(sa.select(Submission.id)).scalar_one()
    # and the results read "created", then "replay", both naming that submission
    assert (contract_outcome(first), contract_outcome(again)) == ("created", "replay")
    assert psql_tables(first.stdout)[-1][0]["submission_id"] == str(submission_id)
    assert psql_tables(again.stdout)[-1][0]["submission_id"] == str(submission_id)
    assert psql_tables(again.stdout)[-1][0]["outbox_id"] == ""


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


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
