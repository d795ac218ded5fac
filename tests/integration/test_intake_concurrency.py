"""Producers racing with one request_id: one submission, one outbox row, whoever wins.

The barrier tests let threads collide as they will; the paired tests hold the winner's
transaction open until the loser is seen waiting on it in pg_stat_activity, so the
"insert found nothing, read the winner's row" path runs every time, not by luck.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import IntakeResult, submit_for_grading
from db.models import Submission, SubmissionDetail, SubmissionEvent
from db.session import make_session_factory
from domain.enums import QuestionFormat
from domain.errors import IntakeConflict, TransientError
from tests.factories import (
    INTAKE_TABLES,
    intake_counts,
    make_question,
    make_user,
    objective_answer,
    objective_key,
)

PRODUCERS = 8
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.02
KEY = objective_key(QuestionFormat.READING_MCQ)


def seed(factory: sessionmaker[Session]) -> dict[str, Any]:
    with factory.begin() as session:
        return {
            "request_id": uuid.uuid4(),
            "user_id": make_user(session),
            "question_id": make_question(session, format=QuestionFormat.READING_MCQ),
            "answer": objective_answer(KEY, correct=3),
        }


def produce(factory: sessionmaker[Session], request: dict[str, Any]) -> IntakeResult:
    """One producer: its own session and transaction, committed on success."""
    with factory.begin() as session:
        return submit_for_grading(session, **request)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(POLL_SECONDS)


def lock_waiters(engine: Engine) -> int:
    """Backends of this test's database waiting on a lock (the loser's insert)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def race(
    factory: sessionmaker[Session], requests: list[dict[str, Any]]
) -> list[IntakeResult | BaseException]:
    """Each request from its own thread and session, released together; results or errors."""
    start = threading.Barrier(len(requests))

    def producer(request: dict[str, Any]) -> IntakeResult:
        with factory.begin() as session:
            session.execute(sa.text("SELECT 1"))  # hold a connection before the start line
            start.wait(timeout=WAIT_SECONDS)
            return submit_for_grading(session, **request)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(producer, request) for request in requests]
        return [future.exception(timeout=WAIT_SECONDS) or future.result() for future in futures]


def test_racing_producers_with_one_request_id_create_exactly_one_submission(
    session_factory: sessionmaker[Session],
) -> None:
    # given one request sent by 8 producers at the same moment
    request = seed(session_factory)
    # when they race
    results = race(session_factory, [request] * PRODUCERS)
    # then every one was answered with the same submission, exactly one of them created it
    answered = [result for result in results if isinstance(result, IntakeResult)]
    assert len(answered) == PRODUCERS, results
    assert len({result.submission_id for result in answered}) == 1
    assert [result.created for result in answered].count(True) == 1
    assert [result.outbox_id is not None for result in answered].count(True) == 1
    # and one row each in the four tables: one outbox row, one 'submitted' event
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)
        assert session.execute(sa.select(SubmissionEvent.kind)).scalar_one() == "submitted"


def test_racing_pair_with_different_answers_one_wins_the_other_conflicts(
    session_factory: sessionmaker[Session],
) -> None:
    # given two producers using one request_id for different answers
    request = seed(session_factory)
    other = request | {"answer": objective_answer(KEY, correct=1)}
    # when they race
    results = race(session_factory, [request, other])
    # then one created the submission and the other was refused with a conflict
    created = [result for result in results if isinstance(result, IntakeResult)]
    refused = [result for result in results if isinstance(result, IntakeConflict)]
    assert (len(created), len(refused)) == (1, 1), results
    assert created[0].created
    assert "answer" in str(refused[0])
    # and the stored answer is the winner's
    winner = request if results[0] is created[0] else other
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)
        stored = session.execute(sa.select(SubmissionDetail.answer)).scalar_one()
    assert stored == winner["answer"]


def start_loser(
    pool: ThreadPoolExecutor,
    factory: sessionmaker[Session],
    engine: Engine,
    request: dict[str, Any],
) -> Future[IntakeResult]:
    """Submit ``request`` in another thread and return once its insert waits on the winner."""
    loser = pool.submit(produce, factory, request)
    wait_for(lambda: lock_waiters(engine) >= 1 or loser.done(), "the loser to block")
    assert not loser.done(), f"the loser did not wait for the winner: {loser.exception()}"
    return loser


def test_loser_waits_for_the_winner_and_gets_its_submission(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a winner that wrote the request but has not committed yet
    request = seed(session_factory)
    with ThreadPoolExecutor(max_workers=1) as pool, session_factory() as winner_session:
        won = submit_for_grading(winner_session, **request)
        # and a second producer of the same request, blocked on the winner's insert
        loser = start_loser(pool, session_factory, engine, request)
        # when the winner commits
        winner_session.commit()
        lost = loser.result(timeout=WAIT_SECONDS)
    # then the loser gets the winner's submission, not created by it
    assert (won.created, lost.created) == (True, False)
    assert lost.submission_id == won.submission_id
    assert lost.deadline == won.deadline
    assert lost.outbox_id is None
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)


def test_loser_with_a_different_answer_gets_a_conflict_once_the_winner_commits(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a winner holding its uncommitted submission
    request = seed(session_factory)
    other = request | {"answer": objective_answer(KEY, correct=0)}
    with ThreadPoolExecutor(max_workers=1) as pool, session_factory() as winner_session:
        submit_for_grading(winner_session, **request)
        # and a loser with another answer under the same request_id, waiting on it
        loser = start_loser(pool, session_factory, engine, other)
        # when the winner commits
        winner_session.commit()
        # then the loser is refused, naming the answer
        with pytest.raises(IntakeConflict, match="answer"):
            loser.result(timeout=WAIT_SECONDS)
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)


def test_loser_creates_the_submission_when_the_winner_rolls_back(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a winner holding its uncommitted submission and a loser waiting on it
    request = seed(session_factory)
    with ThreadPoolExecutor(max_workers=1) as pool, session_factory() as winner_session:
        submit_for_grading(winner_session, **request)
        loser = start_loser(pool, session_factory, engine, request)
        # when the winner rolls back
        winner_session.rollback()
        lost = loser.result(timeout=WAIT_SECONDS)
    # then the loser's insert goes through: it created the one submission
    assert lost.created
    assert lost.outbox_id is not None
    with session_factory() as session:
        assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_under_snapshot_isolation_the_loser_gets_a_conflict_or_a_transient_error(
    engine: Engine, isolation: str
) -> None:
    # given producers whose transactions run under snapshot isolation
    factory = make_session_factory(engine.execution_options(isolation_level=isolation))
    request = seed(factory)
    other = request | {"answer": objective_answer(KEY, correct=2)}
    for loser_request in (request, other):
        with factory() as session:
            session.execute(sa.delete(Submission))  # cascades to the other intake rows
            session.commit()
        with ThreadPoolExecutor(max_workers=1) as pool, factory() as winner_session:
            # and a winner holding its uncommitted submission, a loser waiting on it
            # (its snapshot taken by the replay lookup, before the winner's commit)
            submit_for_grading(winner_session, **request)
            loser = start_loser(pool, factory, engine, loser_request)
            # when the winner commits
            winner_session.commit()
            # then the loser hears a conflict or "try again", never a driver error
            failure = loser.exception(timeout=WAIT_SECONDS)
        assert isinstance(failure, IntakeConflict | TransientError), repr(failure)
        with factory() as session:
            assert intake_counts(session) == dict.fromkeys(INTAKE_TABLES, 1)
        # and trying again in a new transaction answers it for good
        if loser_request is request:
            assert not produce(factory, loser_request).created
        else:
            with pytest.raises(IntakeConflict):
                produce(factory, loser_request)
