"""Intake: four rows in the caller's transaction, idempotent on request_id, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.intake import IntakeResult, submit_for_grading, submit_in_new_transaction
from db.models import OutboxRow, Question, Submission, SubmissionDetail, SubmissionEvent
from domain.enums import OutboxStatus, QuestionFormat, Skill, SubmissionStatus
from domain.errors import IntakeConflict, InvalidInput
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST, parse_grading_request
from domain.sla import DEFAULT_SLA
from tests.factories import (
    INTAKE_TABLES,
    answer_key_for,
    intake_counts,
    make_question,
    make_user,
    valid_answer,
)

NOTHING = dict.fromkeys(INTAKE_TABLES, 0)
ONE_EACH = dict.fromkeys(INTAKE_TABLES, 1)
FORMAT_OF_SKILL = {
    Skill.LISTENING: QuestionFormat.LISTENING_DICTATION,
    Skill.READING: QuestionFormat.READING_MATCHING_HEADINGS,
    Skill.WRITING: QuestionFormat.WRITING_TASK_2,
    Skill.SPEAKING: QuestionFormat.SPEAKING_PART_3,
}
CONFLICT_FIELDS = ("answer", "question_id", "user_id", "attempt")


def seed(
    session: Session, question_format: QuestionFormat = QuestionFormat.READING_MCQ
) -> dict[str, Any]:
    """The keyword arguments of a valid request for a new learner and question."""
    return {
        "request_id": uuid.uuid4(),
        "user_id": make_user(session),
        "question_id": make_question(session, format=question_format),
        "answer": valid_answer(question_format, answer_key_for(question_format)),
    }


def committed_request(
    factory: sessionmaker[Session], question_format: QuestionFormat = QuestionFormat.READING_MCQ
) -> tuple[dict[str, Any], IntakeResult]:
    with factory.begin() as session:
        request = seed(session, question_format)
        return request, submit_for_grading(session, **request)


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


def test_a_replay_returns_the_submission_and_writes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    # given an accepted request
    request, first = committed_request(session_factory, QuestionFormat.SPEAKING_PART_1)
    # when the producer sends it again (another trace: a retry is a new attempt to deliver)
    again = submit_in_new_transaction(session_factory, **request, trace_id="retry")
    # then the same submission comes back, marked not created, and no row is added
    assert again == IntakeResult(
        submission_id=first.submission_id,
        request_id=first.request_id,
        created=False,
        deadline=first.deadline,
        outbox_id=None,
    )
    with session_factory() as session:
        assert intake_counts(session) == ONE_EACH


def test_a_replay_in_the_same_transaction_writes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    # given a request written but not committed
    with session_factory.begin() as session:
        request = seed(session)
        first = submit_for_grading(session, **request)
        # when the same request comes again in that transaction
        again = submit_for_grading(session, **request)
        # then it is found, not written twice
        assert (again.created, again.submission_id) == (False, first.submission_id)
        assert intake_counts(session) == ONE_EACH


def test_a_replay_matches_the_answer_as_json_not_as_text(
    session_factory: sessionmaker[Session],
) -> None:
    # given an accepted speaking answer
    request, first = committed_request(session_factory, QuestionFormat.SPEAKING_PART_2)
    # when it comes again with its keys reordered and 95 spelled 95.0
    answer = dict(reversed(request["answer"].items())) | {"durationSeconds": 95.0}
    again = submit_in_new_transaction(session_factory, **(request | {"answer": answer}))
    # then it is the same request
    assert (again.created, again.submission_id) == (False, first.submission_id)


def test_a_replay_is_accepted_after_the_question_was_retired(
    session_factory: sessionmaker[Session],
) -> None:
    # given an accepted request whose question was deactivated since
    request, first = committed_request(session_factory)
    with session_factory.begin() as session:
        session.execute(
            sa.update(Question).where(Question.id == request["question_id"]).values(is_active=False)
        )
    # when the producer retries it
    again = submit_in_new_transaction(session_factory, **request)
    # then it hears what it heard the first time: accepted
    assert (again.created, again.submission_id) == (False, first.submission_id)


@pytest.mark.parametrize("differs", [*CONFLICT_FIELDS, "answer+user_id"])
def test_the_same_request_id_for_another_request_is_a_conflict_naming_what_differs(
    session_factory: sessionmaker[Session], differs: str
) -> None:
    # given an accepted request
    request, first = committed_request(session_factory)
    # when its request_id comes with a different answer, question, user or attempt
    with session_factory.begin() as session:
        changes: dict[str, Any] = {
            "answer": {"answers": {"1": "D", "2": "D"}},
            "question_id": make_question(session),
            "user_id": make_user(session),
            "attempt": 2,
        }
    names = differs.split("+")
    other = request | {name: changes[name] for name in names}
    # then it is refused with an IntakeConflict naming exactly those fields
    with pytest.raises(IntakeConflict) as refused:
        submit_in_new_transaction(session_factory, **other)
    message = str(refused.value)
    assert str(request["request_id"]) in message
    assert str(first.submission_id) in message
    assert {name for name in CONFLICT_FIELDS if name in message} == set(names)
    # and nothing was written or changed
    with session_factory() as session:
        assert intake_counts(session) == ONE_EACH
        assert session.execute(sa.select(SubmissionDetail.answer)).scalar_one() == request["answer"]


Change = Callable[[Session, dict[str, Any]], None]

BAD_INPUT: list[tuple[str, QuestionFormat, Change, str, str]] = [
    # (case, question format, change to a valid request, field, words in the message)
    (
        "unknown question",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=uuid.uuid4()),
        "question_id",
        "unknown",
    ),
    (
        "inactive question",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=make_question(s, is_active=False)),
        "question_id",
        "inactive",
    ),
    (
        "soft-deleted question",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=make_question(s, deleted=True)),
        "question_id",
        "deleted",
    ),
    (
        "format filed under another skill",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=make_question(s, skill=Skill.WRITING)),
        "question_id",
        "reading_mcq",
    ),
    (
        "unknown user",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(user_id=uuid.uuid4()),
        "user_id",
        "unknown",
    ),
    (
        "soft-deleted user",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(user_id=make_user(s, deleted=True)),
        "user_id",
        "deleted",
    ),
    (
        "skill mismatch",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(skill=Skill.LISTENING),
        "skill",
        "reading",
    ),
    ("attempt 0", QuestionFormat.READING_MCQ, lambda s, r: r.update(attempt=0), "attempt", ">= 1"),
    (
        "attempt True",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(attempt=True),
        "attempt",
        "",
    ),
    (
        "answer not an object",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(answer=["A", "B"]),
        "answer",
        "object",
    ),
    (
        "objective answer without answers",
        QuestionFormat.LISTENING_MCQ,
        lambda s, r: r.update(answer={"text": "B"}),
        "answer.answers",
        "",
    ),
    (
        "objective item not a string",
        QuestionFormat.READING_GAP_FILL,
        lambda s, r: r.update(answer={"answers": {"1": 3}}),
        "answer.answers.1",
        "string",
    ),
    (
        "objective answer not JSON",
        QuestionFormat.READING_TNG,
        lambda s, r: r.update(answer={"answers": {"1": "A"}, "score": float("nan")}),
        "answer",
        "JSON",
    ),
    (
        "blank essay",
        QuestionFormat.WRITING_TASK_1,
        lambda s, r: r.update(answer={"text": "  \n "}),
        "answer.text",
        "",
    ),
    (
        "speaking without duration",
        QuestionFormat.SPEAKING_PART_1,
        lambda s, r: r.update(answer={"audioUrl": "https://cdn.example.com/a.webm"}),
        "answer.durationSeconds",
        "",
    ),
    (
        "speaking without audio",
        QuestionFormat.SPEAKING_PART_3,
        lambda s, r: r.update(answer={"durationSeconds": 60}),
        "answer.audioUrl",
        "",
    ),
]


@pytest.mark.parametrize(
    ("question_format", "change", "field", "words"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_naming_the_field_before_anything_is_written(
    session_factory: sessionmaker[Session],
    question_format: QuestionFormat,
    change: Change,
    field: str,
    words: str,
) -> None:
    # given a valid request with one thing wrong
    with session_factory() as session:
        request = seed(session, question_format)
        change(session, request)
        # when submitted
        with pytest.raises(InvalidInput) as refused:
            submit_for_grading(session, **request)
        # then the error names the field and why
        assert refused.value.field == field
        assert words in str(refused.value)
        # and not one row was written, even inside the caller's still-open transaction
        assert intake_counts(session) == NOTHING
