"""Intake: four rows in the caller's transaction, all or nothing (replays of a request_id:
test_intake_replays.py; bad input: test_intake_bad_input.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.intake import IntakeResult, submit_for_grading, submit_in_new_transaction
from db.models import OutboxRow, Submission, SubmissionDetail, SubmissionEvent
from domain.enums import OutboxStatus, QuestionFormat, Skill, SubmissionStatus
from domain.errors import InvalidInput
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST, parse_grading_request
from domain.sla import DEFAULT_SLA
from tests.factories import intake_counts
from tests.integration.intake_requests import NOTHING, ONE_EACH, seed

FORMAT_OF_SKILL = {
    Skill.LISTENING: QuestionFormat.LISTENING_DICTATION,
    Skill.READING: QuestionFormat.READING_MATCHING_HEADINGS,
    Skill.WRITING: QuestionFormat.WRITING_TASK_2,
    Skill.SPEAKING: QuestionFormat.SPEAKING_PART_3,
}


@pytest.mark.parametrize("skill", list(Skill), ids=str)
def test_submit_writes_the_four_rows_of_the_contract(
    session_factory: sessionmaker[Session], skill: Skill
) -> None:
    # given a learner and a live question of this skill
    with session_factory.begin() as session:
        request = seed(session, FORMAT_OF_SKILL[skill])
        # when submitted with a trace id
        result = submit_for_grading(session, **request, trace_id="trace-123")
    # then one submission: pending, this request, deadline = its creation + SLA
    with session_factory() as session:
        assert intake_counts(session) == ONE_EACH
        submission = session.execute(sa.select(Submission)).scalar_one()
        assert submission.deadline is not None
        assert result == IntakeResult(
            submission_id=submission.id,
            request_id=request["request_id"],
            created=True,
            deadline=submission.deadline,
            outbox_id=session.execute(sa.select(OutboxRow.id)).scalar_one(),
        )
        assert submission.status is SubmissionStatus.PENDING
        assert (submission.user_id, submission.question_id) == (
            request["user_id"],
            request["question_id"],
        )
        assert (submission.skill, submission.attempt, submission.request_id) == (
            skill,
            1,
            request["request_id"],
        )
        assert submission.deadline - submission.created_at == DEFAULT_SLA[skill]
        assert abs(submission.deadline - (datetime.now(UTC) + DEFAULT_SLA[skill])) < timedelta(
            seconds=30
        )
        # and the answer, as given
        assert session.get_one(SubmissionDetail, submission.id).answer == request["answer"]
        # and one 'submitted' event saying what came in
        event = session.execute(sa.select(SubmissionEvent)).scalar_one()
        assert (event.submission_id, event.kind) == (submission.id, "submitted")
        assert event.data == {
            "requestId": str(request["request_id"]),
            "attempt": 1,
            "traceId": "trace-123",
            "questionId": str(request["question_id"]),
        }
        # and one pending grading.request outbox row whose payload parses
        row = session.execute(sa.select(OutboxRow)).scalar_one()
        assert row.status is OutboxStatus.PENDING
        assert (row.message_type, row.aggregate_type) == (
            MESSAGE_TYPE_GRADING_REQUEST,
            "submission",
        )
        assert row.aggregate_id == row.submission_id == submission.id
        message = parse_grading_request(row.payload)
        assert message.request_id == request["request_id"]
        assert message.submission_id == submission.id
        assert message.user_id == request["user_id"]
        assert message.skill is skill
        assert message.attempt == 1
        assert message.deadline == submission.deadline
        assert message.trace_id == "trace-123"
        assert set(row.payload) == {
            "requestId",
            "submissionId",
            "userId",
            "skill",
            "attempt",
            "deadline",
            "traceId",
        }


@pytest.mark.parametrize("given", [None, ""], ids=["none", "empty"])
def test_a_trace_id_is_generated_and_shared_by_event_and_payload(
    session_factory: sessionmaker[Session], given: str | None
) -> None:
    # given / when a request comes without a trace id
    with session_factory.begin() as session:
        submit_for_grading(session, **seed(session), trace_id=given)
    # then the event and the payload carry the same new 32-hex trace id
    with session_factory() as session:
        payload = session.execute(sa.select(OutboxRow.payload)).scalar_one()
        event_data = session.execute(sa.select(SubmissionEvent.data)).scalar_one()
    trace_id = parse_grading_request(payload).trace_id
    assert trace_id is not None
    assert len(trace_id) == 32
    int(trace_id, 16)
    assert event_data is not None
    assert event_data["traceId"] == trace_id


def test_attempt_and_sla_are_taken_from_the_caller(session_factory: sessionmaker[Session]) -> None:
    # given a configured SLA of 3 minutes for writing
    sla = {**DEFAULT_SLA, Skill.WRITING: timedelta(minutes=3)}
    with session_factory.begin() as session:
        request = seed(session, QuestionFormat.WRITING_TASK_1)
        # when a second attempt is submitted
        submit_for_grading(session, **request, attempt=2, sla=sla)
    # then the deadline uses it and the attempt is recorded everywhere
    with session_factory() as session:
        submission = session.execute(sa.select(Submission)).scalar_one()
        payload = session.execute(sa.select(OutboxRow.payload)).scalar_one()
    assert submission.deadline is not None
    assert submission.deadline - submission.created_at == timedelta(minutes=3)
    assert submission.attempt == 2
    assert payload["attempt"] == 2


def test_nothing_is_visible_before_the_caller_commits(
    session_factory: sessionmaker[Session],
) -> None:
    # given a request submitted in an open transaction
    with session_factory.begin() as setup:
        request = seed(setup)
    with session_factory() as producer, session_factory() as observer:
        submit_for_grading(producer, **request)
        # then another transaction sees nothing yet
        assert intake_counts(observer) == NOTHING
        observer.rollback()
        # when the caller commits / then all four rows appear together
        producer.commit()
        assert intake_counts(observer) == ONE_EACH


def test_a_rolled_back_transaction_leaves_nothing(session_factory: sessionmaker[Session]) -> None:
    # given the four rows written in the caller's transaction
    with session_factory() as session:
        request = seed(session)
        session.commit()
        submit_for_grading(session, **request)
        assert intake_counts(session) == ONE_EACH
        # when the caller rolls back (its own later step failed)
        session.rollback()
        # then none of the four rows stays
        assert intake_counts(session) == NOTHING


def test_submit_in_new_transaction_commits(session_factory: sessionmaker[Session]) -> None:
    # given a learner and a question
    with session_factory.begin() as session:
        request = seed(session)
    # when submitted in a transaction of its own
    result = submit_in_new_transaction(session_factory, **request)
    # then it is committed
    assert result.created
    with session_factory() as session:
        assert intake_counts(session) == ONE_EACH
        assert session.get_one(Submission, result.submission_id).request_id == result.request_id


def test_submit_in_new_transaction_rolls_back_on_error(
    session_factory: sessionmaker[Session],
) -> None:
    # given a request with an unknown user
    with session_factory.begin() as session:
        request = seed(session) | {"user_id": uuid.uuid4()}
    # when submitted / then the error comes through and nothing is written
    with pytest.raises(InvalidInput):
        submit_in_new_transaction(session_factory, **request)
    with session_factory() as session:
        assert intake_counts(session) == NOTHING
