"""Intake is idempotent on request_id: a replay returns the submission it made and writes
nothing; the same request_id for another request is a conflict naming what differs."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.intake import IntakeResult, submit_for_grading, submit_in_new_transaction
from db.models import Question, SubmissionDetail
from domain.enums import QuestionFormat
from domain.errors import IntakeConflict
from tests.factories import intake_counts, make_question, make_user
from tests.integration.intake_requests import ONE_EACH, seed

CONFLICT_FIELDS = ("answer", "question_id", "user_id", "attempt")


def committed_request(
    factory: sessionmaker[Session], question_format: QuestionFormat = QuestionFormat.READING_MCQ
) -> tuple[dict[str, Any], IntakeResult]:
    with factory.begin() as session:
        request = seed(session, question_format)
        return request, submit_for_grading(session, **request)


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
