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


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
