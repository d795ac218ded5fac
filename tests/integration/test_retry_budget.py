"""One retry budget, counted by the database: the worker and the callbacks spend the same one.

The budget is the submission's ``error`` events since it started (``submitted``, or an
operator's retry, whose ``operator_retried`` event says ``retryBudget``), read under the
row lock. A redispatched message (a new message id, nothing carried over) finds the
count where the last attempt left it; an operator's retry starts again from zero.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.outbox_ops import outbox_retry
from db.results import result_lock
from db.submission_retry import submission_retry
from domain.errors import TransientError
from domain.messages import GradingRequest, parse_grading_request
from tests.integration.callback_bodies import callback
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import last_event_data, scalar, statuses
from workers import grading
from workers.grading import Delivery, GradingService, Outcome
from workers.results import CallbackService, ResultSettings


@pytest.fixture
def failing_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every objective grading fails transiently (a grader that never answers)."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise TransientError("grader timed out")

    monkeypatch.setattr(grading, "grade_objective", broken)


def request_of(engine: Engine, outbox_id: uuid.UUID) -> GradingRequest:
    payload = scalar(engine, "SELECT payload FROM outbox WHERE id = :id", id=outbox_id)
    return parse_grading_request(payload)


def delivered(service: GradingService, request: GradingRequest, max_retries: int) -> Outcome:
    """One delivery of ``request`` as a new message: nothing carried over from the last one
    (a redispatch by the stall duty, or a retry whose message the broker lost)."""
    delivery = Delivery(
        str(uuid.uuid4()),
        max_retries=max_retries,
        worker_id="budget-test",
        retry_base_seconds=0.01,
        retry_cap_seconds=0.01,
    )
    return service.grade(request, delivery).outcome


def error_callback(request: GradingRequest) -> dict[str, Any]:
    error = {"type": "timeout", "code": "T", "message": "busy", "retryable": True}
    return callback(request.submission_id, request.request_id, "error", {"error": error})


def failed_in_the_worker(
    engine: Engine, make_relay: Any, *, times: int, max_retries: int
) -> tuple[GradingRequest, GradingService]:
    """A relayed submission whose grading failed ``times`` times in the worker, each
    from a new message."""
    (outbox_id,) = seed_pending(engine, 1)
    make_relay().run_once()
    request = request_of(engine, outbox_id)
    service = GradingService(engine)
    outcomes = [delivered(service, request, max_retries) for _ in range(times)]
    assert outcomes == [Outcome.RETRY] * times
    return request, service


def spent(session_factory: sessionmaker[Session], submission_id: uuid.UUID) -> int:
    with session_factory.begin() as session:
        locked = result_lock(session, submission_id=submission_id)
        assert locked is not None
        return locked.state.failures


@pytest.mark.usefixtures("failing_grader")
def test_a_redispatched_submission_keeps_the_budget_it_spent(
    engine: Engine, session_factory: sessionmaker[Session], make_relay: Any
) -> None:
    # given a submission whose grading failed twice, each time from a new message
    request, service = failed_in_the_worker(engine, make_relay, times=2, max_retries=2)
    assert spent(session_factory, request.submission_id) == 2
    # when one more new message for it fails
    outcome = delivered(service, request, max_retries=2)
    # then the budget was not reset by the new message: it fails MAX_RETRIES, third attempt
    assert outcome is Outcome.FAILED
    failed = last_event_data(engine, request.submission_id, "failed")
    assert (failed["failureReason"], failed["attemptsMade"]) == ("MAX_RETRIES", 3)
    assert event_counts(engine, "error") == {request.submission_id: 3}


@pytest.fixture(params=["submission retry", "outbox retry"])
def command(request: pytest.FixtureRequest) -> str:
    """The operator's command that retries a failed submission."""
    return str(request.param)


@pytest.mark.usefixtures("failing_grader")
def test_an_operator_retry_starts_a_fresh_budget_recorded_in_its_event(
    engine: Engine, session_factory: sessionmaker[Session], make_relay: Any, command: str
) -> None:
    # given a submission that spent its budget and failed MAX_RETRIES
    request, service = failed_in_the_worker(engine, make_relay, times=1, max_retries=1)
    assert delivered(service, request, max_retries=1) is Outcome.FAILED
    outbox_id = scalar(
        engine, "SELECT id FROM outbox WHERE submission_id = :id", id=request.submission_id
    )
    # when an operator retries it: the submission, or its (failed) request row
    with session_factory.begin() as session:
        if command == "submission retry":
            ids = [request.submission_id]
            outcome = submission_retry(session, ids=ids, stall_seconds=60, by="op")
            assert [r.id for r in outcome.retried] == ids
        else:
            session.execute(sa.text("UPDATE outbox SET status = 'failed'"))
            assert outbox_retry(session, ids=[outbox_id], by="op").retried == [outbox_id]
    # then its event records the fresh budget, and nothing of it is spent
    retried = last_event_data(engine, request.submission_id, "operator_retried")
    assert retried["retryBudget"] == "fresh"
    assert spent(session_factory, request.submission_id) == 0
    # and the next failure is a first attempt again, retried, not failed
    make_relay().run_once()
    assert delivered(service, request, max_retries=1) is Outcome.RETRY
    error = last_event_data(engine, request.submission_id, "error")
    assert error["attempt"] == 1
    assert delivered(service, request, max_retries=1) is Outcome.FAILED
    failed = last_event_data(engine, request.submission_id, "failed")
    assert (failed["failureReason"], failed["attemptsMade"]) == ("MAX_RETRIES", 2)


@pytest.mark.usefixtures("failing_grader")
@pytest.mark.parametrize("last_door", ["worker", "callback"])
def test_the_worker_and_the_callbacks_spend_one_budget(
    engine: Engine, session_factory: sessionmaker[Session], make_relay: Any, last_door: str
) -> None:
    # given a budget of three retries, and two failures of the grading in the worker
    request, service = failed_in_the_worker(engine, make_relay, times=2, max_retries=3)
    callbacks = CallbackService(session_factory, ResultSettings(spot_check_rate=0, max_retries=3))
    # and a retryable error from the grader: the third failure, one retry left
    assert callbacks.apply(error_callback(request), via="test") == "applied"
    assert statuses(engine) == {"retrying": 1}
    assert last_event_data(engine, request.submission_id, "retrying")["attempt"] == 4
    # when the fourth failure comes, through either door
    if last_door == "worker":
        assert delivered(service, request, max_retries=3) is Outcome.FAILED
    else:
        assert callbacks.apply(error_callback(request), via="test") == "applied"
    # then the budget is spent: failed MAX_RETRIES on the fourth attempt
    failed = last_event_data(engine, request.submission_id, "failed")
    assert (failed["failureReason"], failed["attemptsMade"]) == ("MAX_RETRIES", 4)
    assert scalar(engine, "SELECT status::text FROM submissions") == "failed"
    # (the worker records the error before it fails; a grader's error that fails goes
    # straight to failed, with its code)
    errors = 4 if last_door == "worker" else 3
    assert event_counts(engine, "error") == {request.submission_id: errors}
