"""Intake: the four rows of a grading request, written by the database's grading_intake_v1.

submissions (pending), submission_details, a 'submitted' event and the grading.request
outbox row commit together or not at all, in the caller's transaction. request_id is the
idempotency key. The rules (what is refused, under which name, the payload) live in the
function (migration 0007), the same one docs/producer-contract.md gives other languages;
here remains only what cannot be sent as a parameter (not a UUID, NaN, a NUL character,
an attempt beyond the integer column).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Required, TypedDict, Unpack

from psycopg.types.json import Jsonb
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.statements import Sql, Tx, execute
from domain.answers import ANSWER_MAX_BYTES, check_storable
from domain.enums import Skill
from domain.errors import InvalidInput, VstepGradingError
from domain.sla import DEFAULT_SLA

# submissions.attempt is a PostgreSQL integer.
MAX_ATTEMPT = 2**31 - 1

INTAKE = Sql("""
    SELECT submission_id, created, deadline, outbox_id
    FROM grading_intake_v1(
        request_id => %(request_id)s, user_id => %(user_id)s, question_id => %(question_id)s,
        answer => %(answer)s, attempt => %(attempt)s, trace_id => %(trace_id)s,
        skill => %(skill)s, sla_listening => %(sla_listening)s, sla_reading => %(sla_reading)s,
        sla_writing => %(sla_writing)s, sla_speaking => %(sla_speaking)s,
        answer_max_bytes => %(answer_max_bytes)s)
""")
# A refusal in the caller's transaction leaves it usable, as it always has: the call runs
# under a savepoint.
SAVEPOINT = Sql("SAVEPOINT grading_intake")
RELEASE = Sql("RELEASE SAVEPOINT grading_intake")
ROLLBACK_TO = Sql("ROLLBACK TO SAVEPOINT grading_intake")


@dataclass(frozen=True)
class IntakeResult:
    submission_id: uuid.UUID
    request_id: uuid.UUID
    # False: the request was already there (a replay, or a concurrent producer won).
    created: bool
    deadline: datetime
    # The outbox row written now; None when nothing was written.
    outbox_id: uuid.UUID | None


class IntakeRequest(TypedDict, total=False):
    """What a producer hands intake; the first four are required."""

    request_id: Required[uuid.UUID]
    user_id: Required[uuid.UUID]
    question_id: Required[uuid.UUID]
    answer: Required[Mapping[str, Any]]
    skill: Skill | None
    attempt: int
    trace_id: str | None
    sla: Mapping[Skill, timedelta]
    answer_max_bytes: int


def submit_for_grading(session: Tx, **request: Unpack[IntakeRequest]) -> IntakeResult:
    """Write the four intake rows in the caller's transaction (no commit) or find the replay.

    A refusal is an InvalidInput naming the field (``IntakeRefused`` with the refusal's
    name when the database refused it); the caller's transaction stays usable.
    """
    params = intake_params(**request)
    with savepoint(session):
        return _intake(session, params)


def submit_in_new_transaction(
    factory: Engine | sessionmaker[Session], **request: Unpack[IntakeRequest]
) -> IntakeResult:
    """``submit_for_grading`` in a transaction of its own: committed on return, else rolled back.

    Hand it the Engine where speed counts: a Core connection costs less Python per
    transaction than a Session, and intake needs no ORM.
    """
    params = intake_params(**request)
    # A transaction of its own needs no savepoint: a refusal rolls it all back.
    with factory.begin() as session:
        return _intake(session, params)


def intake_params(
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
) -> dict[str, Any]:
    """The function's parameters; InvalidInput for what psycopg or jsonb cannot carry."""
    params: dict[str, Any] = {
        "request_id": _uuid("request_id", request_id),
        "user_id": _uuid("user_id", user_id),
        "question_id": _uuid("question_id", question_id),
    }
    # bool is an int subclass: attempt=True is a caller bug, not attempt 1.
    if isinstance(attempt, bool) or not isinstance(attempt, int):
        raise InvalidInput("attempt", f"must be an integer >= 1, got {attempt!r}")
    if attempt > MAX_ATTEMPT:
        raise InvalidInput("attempt", f"must be at most {MAX_ATTEMPT}, got {attempt}")
    if trace_id is not None:
        if not isinstance(trace_id, str):
            raise InvalidInput("trace_id", f"must be a string, got {type(trace_id).__name__}")
        check_storable(trace_id, "trace_id")
    json_answer = _json_answer(answer)
    check_storable(json_answer)
    return params | {
        "answer": Jsonb(json_answer),
        "attempt": attempt,
        "trace_id": trace_id,
        "skill": Skill(skill).value if skill is not None else None,
        "answer_max_bytes": answer_max_bytes,
        **sla_params(sla),
    }


def sla_params(sla: Mapping[Skill, timedelta]) -> dict[str, timedelta | None]:
    """The SLA of each skill as the functions take it; a missing one is refused there."""
    return {f"sla_{skill.value}": sla.get(skill) for skill in Skill}


@contextmanager
def savepoint(session: Tx) -> Iterator[None]:
    """Undo what failed inside, and only that: the caller's transaction stays usable."""
    execute(session, SAVEPOINT, {})
    try:
        yield
    except BaseException:
        # When the connection or the transaction is gone, the first failure says why.
        with suppress(VstepGradingError):
            execute(session, ROLLBACK_TO, {})
        raise
    execute(session, RELEASE, {})


def _intake(session: Tx, params: Mapping[str, Any]) -> IntakeResult:
    row = execute(session, INTAKE, params).fetchone()
    assert row is not None  # the function answers one row or raises
    return IntakeResult(
        row.submission_id,
        params["request_id"],
        bool(row.created),
        row.deadline.astimezone(UTC),
        row.outbox_id,
    )


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
