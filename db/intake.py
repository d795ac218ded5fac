"""Intake: the four rows of a grading request, in one transaction (docs/grading-pipeline.md#intake).

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

from psycopg.types.json import Jsonb
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.statements import Tx, execute
from domain.answers import ANSWER_MAX_BYTES, check_size, check_storable, validate_answer
from domain.enums import FORMAT_SKILL, QuestionFormat, Skill
from domain.errors import IntakeConflict, InvalidInput, TransientError
from domain.sla import DEFAULT_SLA

# submissions.attempt is a PostgreSQL integer.
MAX_ATTEMPT = 2**31 - 1

# Everything intake checks against the database, in one round trip: a submission already
# under the request id (a replay), the question, the learner.
_LOOKUP = """
    SELECT q.skill AS q_skill, q.format AS q_format, q.is_active AS q_active,
           q.deleted_at AS q_deleted_at,
           u.id IS NOT NULL AS u_found, u.deleted_at AS u_deleted_at,
           s.id AS s_id, s.user_id AS s_user_id, s.question_id AS s_question_id,
           s.attempt AS s_attempt,
           -- A row written outside this contract may lack a deadline: due since its creation.
           coalesce(s.deadline, s.created_at) AS s_deadline,
           -- Compared as jsonb: key order and number spelling do not matter.
           d.answer IS NOT DISTINCT FROM %(answer)s AS s_same
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN questions q ON q.id = %(question_id)s
    LEFT JOIN users u ON u.id = %(user_id)s
    LEFT JOIN submissions s ON s.request_id = %(request_id)s
    LEFT JOIN submission_details d ON d.submission_id = s.id
"""
# The four rows in one statement, keyed on the submission's insert: a request id already
# taken inserts nothing at all. The deadline is the database's (now() + SLA), so it joins
# the outbox payload here, spelled as docs/producer-contract.md spells it.
_INSERT = """
    WITH submission AS (
        INSERT INTO submissions
            (id, user_id, question_id, skill, status, attempt, request_id, deadline)
        VALUES (%(id)s, %(user_id)s, %(question_id)s, %(skill)s, 'pending', %(attempt)s,
                %(request_id)s, now() + %(sla)s)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING id, deadline
    ),
    detail AS (
        INSERT INTO submission_details (submission_id, answer)
        SELECT id, %(answer)s FROM submission
    ),
    event AS (
        INSERT INTO submission_events (submission_id, kind, data, occurred_at)
        SELECT id, 'submitted', %(event)s, clock_timestamp() FROM submission
    ),
    outbox_row AS (
        INSERT INTO outbox (id, submission_id, aggregate_type, aggregate_id, message_type, payload)
        SELECT %(outbox_id)s, id, 'submission', id, 'grading.request',
               %(payload)s || jsonb_build_object(
                   'deadline',
                   to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        FROM submission
    )
    SELECT id, deadline FROM submission
"""


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
    session: Tx,
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
    found = execute(session, _LOOKUP, request.params(request_id)).fetchone()
    assert found is not None  # the lookup always answers one row
    # A replay is answered from what was stored, before validation: a producer retrying
    # an accepted request must hear "accepted" even if the question was retired since.
    existing = _existing(found, request_id=request_id, request=request)
    if existing is not None:
        return existing

    question_skill, question_format = _live_question(found, question_id)
    _check_live_user(found, user_id)
    if skill is not None and skill != question_skill:
        raise InvalidInput("skill", f"{skill} does not match the question's skill {question_skill}")
    clean_answer = _json_answer(validate_answer(question_format, answer))
    check_size(clean_answer, max_bytes=answer_max_bytes)
    if question_skill not in sla:
        raise InvalidInput("skill", f"no SLA configured for {question_skill}")

    submission_id, outbox_id = uuid.uuid4(), uuid.uuid4()
    trace = trace_id or uuid.uuid4().hex  # empty counts as none, as in the SQL contract
    # ON CONFLICT DO NOTHING rather than catching an IntegrityError: a concurrent producer's
    # insert of the same key makes this one wait for its commit and then insert nothing,
    # and this transaction stays usable for reading that row.
    inserted = execute(
        session,
        _INSERT,
        {
            "id": submission_id,
            "user_id": user_id,
            "question_id": question_id,
            "skill": question_skill.value,
            "attempt": attempt,
            "request_id": request_id,
            "sla": sla[question_skill],
            "answer": Jsonb(clean_answer),
            "event": Jsonb(
                {
                    "requestId": str(request_id),
                    "attempt": attempt,
                    "traceId": trace,
                    "questionId": str(question_id),
                }
            ),
            "outbox_id": outbox_id,
            # GradingRequest's payload but its deadline, which the statement adds.
            "payload": Jsonb(
                {
                    "requestId": str(request_id),
                    "submissionId": str(submission_id),
                    "userId": str(user_id),
                    "skill": question_skill.value,
                    "attempt": attempt,
                    "traceId": trace,
                }
            ),
        },
    ).fetchone()
    if inserted is None:
        again = execute(session, _LOOKUP, request.params(request_id)).fetchone()
        assert again is not None
        raced = _existing(again, request_id=request_id, request=request)
        if raced is None:  # the winner is invisible to a REPEATABLE READ snapshot
            raise TransientError(f"request_id {request_id} was submitted concurrently; retry")
        return raced
    return IntakeResult(
        submission_id, request_id, True, inserted.deadline.astimezone(UTC), outbox_id
    )


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
    # A Core connection: intake needs no ORM, and a Session costs more Python than its
    # two statements.
    engine: Engine = factory.kw["bind"]
    with engine.begin() as session:
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

    def params(self, request_id: uuid.UUID) -> dict[str, Any]:
        return {
            "request_id": request_id,
            "user_id": self.user_id,
            "question_id": self.question_id,
            "answer": Jsonb(_json_answer(self.answer)),
        }


def _existing(found: Any, *, request_id: uuid.UUID, request: _Request) -> IntakeResult | None:
    """The submission already under ``request_id`` if it is this request; conflict if not."""
    if found.s_id is None:
        return None
    differs = [
        name
        for name, same in (
            ("answer", bool(found.s_same)),
            ("question_id", found.s_question_id == request.question_id),
            ("user_id", found.s_user_id == request.user_id),
            ("attempt", found.s_attempt == request.attempt),
        )
        if not same
    ]
    if differs:
        raise IntakeConflict(
            f"request_id {request_id} is already used by submission {found.s_id} "
            f"with a different {', '.join(differs)}"
        )
    return IntakeResult(found.s_id, request_id, False, found.s_deadline.astimezone(UTC), None)


def _live_question(found: Any, question_id: uuid.UUID) -> tuple[Skill, QuestionFormat]:
    """The question's skill and format; InvalidInput saying why it cannot be answered."""
    if found.q_skill is None:
        raise InvalidInput("question_id", f"unknown question {question_id}")
    if found.q_deleted_at is not None:
        raise InvalidInput("question_id", f"question {question_id} is deleted")
    if not found.q_active:
        raise InvalidInput("question_id", f"question {question_id} is inactive")
    skill, question_format = Skill(found.q_skill), QuestionFormat(found.q_format)
    # Other services write questions too; a format filed under the wrong skill would be
    # graded by the wrong grader, so it is refused here rather than failing in a worker.
    if FORMAT_SKILL[question_format] != skill:
        raise InvalidInput(
            "question_id",
            f"question {question_id} has format {question_format} of skill "
            f"{FORMAT_SKILL[question_format]} but is filed under {skill}",
        )
    return skill, question_format


def _check_live_user(found: Any, user_id: uuid.UUID) -> None:
    if not found.u_found:
        raise InvalidInput("user_id", f"unknown user {user_id}")
    if found.u_deleted_at is not None:
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
