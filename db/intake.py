"""Intake: the four rows of a grading request, in one transaction (pipeline.md "Intake").

submissions (pending), submission_details, a 'submitted' event and the grading.request
outbox row commit together or not at all, in the caller's transaction. request_id is the
idempotency key. docs/producer-contract.md is the same contract in plain SQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from db.dispatch import EVENT_SUBMITTED, outbox_add_grading_request
from db.models import Question, Submission, SubmissionDetail, User
from db.submissions import submission_event_append
from domain.answers import ANSWER_MAX_BYTES, check_size, check_storable, validate_answer
from domain.enums import FORMAT_SKILL, QuestionFormat, Skill, SubmissionStatus
from domain.errors import IntakeConflict, InvalidInput, TransientError
from domain.messages import GradingRequest
from domain.sla import DEFAULT_SLA

# submissions.attempt is a PostgreSQL integer.
MAX_ATTEMPT = 2**31 - 1


@dataclass(frozen=True)
class IntakeResult:
    submission_id: uuid.UUID
    request_id: uuid.UUID
    # False: the request was already there (a replay, or a concurrent producer won).
    created: bool
    deadline: datetime
    # The outbox row written now; None when nothing was written.
    outbox_id: uuid.UUID | None


def submit_for_grading(
    session: Session,
    *,
    request_id: uuid.UUID,
    user_id: uuid.UUID,
    question_id: uuid.UUID,
    answer: Mapping[str, Any],
    skill: Skill | None = None,
    attempt: int = 1,
    trace_id: str | None = None,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
    answer_max_bytes: int = ANSWER_MAX_BYTES,
) -> IntakeResult:
    """Write the four intake rows in the caller's transaction (no commit) or find the replay.

    Whatever the database would refuse with a driver error is refused here first, as
    InvalidInput naming the field: ids that are not UUIDs, an attempt beyond the
    integer column, text jsonb cannot hold, numbers beyond a double.
    """
    request_id = _uuid("request_id", request_id)
    user_id = _uuid("user_id", user_id)
    question_id = _uuid("question_id", question_id)
    # bool is an int subclass: attempt=True is a caller bug, not attempt 1.
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise InvalidInput("attempt", f"must be an integer >= 1, got {attempt!r}")
    if attempt > MAX_ATTEMPT:
        raise InvalidInput("attempt", f"must be at most {MAX_ATTEMPT}, got {attempt}")
    if trace_id is not None:
        if not isinstance(trace_id, str):
            raise InvalidInput("trace_id", f"must be a string, got {type(trace_id).__name__}")
        check_storable(trace_id, "trace_id")
    # Before the replay lookup, which already sends the answer to the database.
    check_storable(_json_answer(answer))
    request = _Request(user_id=user_id, question_id=question_id, answer=answer, attempt=attempt)
    # A replay is answered from what was stored, before validation: a producer retrying
    # an accepted request must hear "accepted" even if the question was retired since.
    existing = _existing(session, request_id=request_id, request=request)
    if existing is not None:
        return existing

    question_skill, question_format = _live_question(session, question_id)
    _check_live_user(session, user_id)
    if skill is not None and skill != question_skill:
        raise InvalidInput("skill", f"{skill} does not match the question's skill {question_skill}")
    clean_answer = _json_answer(validate_answer(question_format, answer))
    check_size(clean_answer, max_bytes=answer_max_bytes)
    if question_skill not in sla:
        raise InvalidInput("skill", f"no SLA configured for {question_skill}")

    # ON CONFLICT DO NOTHING rather than catching an IntegrityError: a concurrent producer's
    # insert of the same key makes this one wait for its commit and then return no row,
    # and this transaction stays usable for reading that row.
    inserted = session.execute(
        pg_insert(Submission)
        .values(
            user_id=user_id,
            question_id=question_id,
            skill=question_skill,
            status=SubmissionStatus.PENDING,
            attempt=attempt,
            request_id=request_id,
            # The DB clock, not ours: the scheduler compares deadlines with now() too.
            deadline=sa.func.now() + sa.literal(sla[question_skill], sa.Interval()),
        )
        .on_conflict_do_nothing(index_elements=[Submission.request_id])
        .returning(Submission.id, Submission.deadline)
    ).one_or_none()
    if inserted is None:
        raced = _existing(session, request_id=request_id, request=request)
        if raced is None:  # the winner is invisible to a REPEATABLE READ snapshot
            raise TransientError(f"request_id {request_id} was submitted concurrently; retry")
        return raced

    submission_id, deadline = inserted.id, inserted.deadline.astimezone(UTC)
    trace = trace_id or uuid.uuid4().hex  # empty counts as none, as in the SQL contract
    session.execute(
        sa.insert(SubmissionDetail).values(submission_id=submission_id, answer=clean_answer)
    )
    submission_event_append(
        session,
        submission_id=submission_id,
        kind=EVENT_SUBMITTED,
        data={
            "requestId": str(request_id),
            "attempt": attempt,
            "traceId": trace,
            "questionId": str(question_id),
        },
    )
    outbox_id = outbox_add_grading_request(
        session,
        request=GradingRequest(
            request_id=request_id,
            submission_id=submission_id,
            user_id=user_id,
            skill=question_skill,
            attempt=attempt,
            deadline=deadline,
            trace_id=trace,
        ),
    )
    return IntakeResult(submission_id, request_id, True, deadline, outbox_id)


def submit_in_new_transaction(
    factory: sessionmaker[Session],
    *,
    request_id: uuid.UUID,
    user_id: uuid.UUID,
    question_id: uuid.UUID,
    answer: Mapping[str, Any],
    skill: Skill | None = None,
    attempt: int = 1,
    trace_id: str | None = None,
    sla: Mapping[Skill, timedelta] = DEFAULT_SLA,
    answer_max_bytes: int = ANSWER_MAX_BYTES,
) -> IntakeResult:
    """``submit_for_grading`` in a transaction of its own: committed on return, else rolled back."""
    with factory.begin() as session:
        return submit_for_grading(
            session,
            request_id=request_id,
            user_id=user_id,
            question_id=question_id,
            answer=answer,
            skill=skill,
            attempt=attempt,
            trace_id=trace_id,
            sla=sla,
            answer_max_bytes=answer_max_bytes,
        )


@dataclass(frozen=True)
class _Request:
    """What makes two requests under one request_id the same request."""

    user_id: uuid.UUID
    question_id: uuid.UUID
    answer: Mapping[str, Any]
    attempt: int


def _existing(session: Session, *, request_id: uuid.UUID, request: _Request) -> IntakeResult | None:
    """The submission already under ``request_id`` if it is this request; conflict if not."""
    row = session.execute(
        sa.select(
            Submission.id,
            Submission.user_id,
            Submission.question_id,
            Submission.attempt,
            # A row written outside this contract may lack a deadline: due since its creation.
            sa.func.coalesce(Submission.deadline, Submission.created_at).label("deadline"),
            # Compared as jsonb in the database: key order and number spelling do not matter.
            SubmissionDetail.answer.is_not_distinct_from(_json_answer(request.answer)).label(
                "same"
            ),
        )
        .outerjoin(SubmissionDetail, SubmissionDetail.submission_id == Submission.id)
        .where(Submission.request_id == request_id)
    ).one_or_none()
    if row is None:
        return None
    differs = [
        name
        for name, same in (
            ("answer", bool(row.same)),
            ("question_id", row.question_id == request.question_id),
            ("user_id", row.user_id == request.user_id),
            ("attempt", row.attempt == request.attempt),
        )
        if not same
    ]
    if differs:
        raise IntakeConflict(
            f"request_id {request_id} is already used by submission {row.id} "
            f"with a different {', '.join(differs)}"
        )
    return IntakeResult(row.id, request_id, False, row.deadline.astimezone(UTC), None)


def _live_question(session: Session, question_id: uuid.UUID) -> tuple[Skill, QuestionFormat]:
    """The question's skill and format; InvalidInput saying why it cannot be answered."""
    row = session.execute(
        sa.select(Question.skill, Question.format, Question.is_active, Question.deleted_at).where(
            Question.id == question_id
        )
    ).one_or_none()
    if row is None:
        raise InvalidInput("question_id", f"unknown question {question_id}")
    if row.deleted_at is not None:
        raise InvalidInput("question_id", f"question {question_id} is deleted")
    if not row.is_active:
        raise InvalidInput("question_id", f"question {question_id} is inactive")
    # Other services write questions too; a format filed under the wrong skill would be
    # graded by the wrong grader, so it is refused here rather than failing in a worker.
    if FORMAT_SKILL[row.format] != row.skill:
        raise InvalidInput(
            "question_id",
            f"question {question_id} has format {row.format} of skill "
            f"{FORMAT_SKILL[row.format]} but is filed under {row.skill}",
        )
    return row.skill, row.format


def _check_live_user(session: Session, user_id: uuid.UUID) -> None:
    deleted_at = session.execute(sa.select(User.deleted_at).where(User.id == user_id)).one_or_none()
    if deleted_at is None:
        raise InvalidInput("user_id", f"unknown user {user_id}")
    if deleted_at[0] is not None:
        raise InvalidInput("user_id", f"user {user_id} is deleted")


def _uuid(field: str, value: object) -> uuid.UUID:
    """``value`` as a UUID (its string form is accepted too); InvalidInput if it is none."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidInput(field, f"must be a UUID, got {value!r}"[:200])


def _json_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The answer as a plain dict that is strict JSON (PostgreSQL refuses NaN and Infinity)."""
    if not isinstance(answer, Mapping):
        raise InvalidInput("answer", "must be an object")
    try:
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("answer", f"must be JSON: {exc}") from None
    return dict(answer)
