"""Intake (Python API and the documented SQL) through relay and worker to graded results."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal

import dramatiq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import OBJECTIVE_FORMATS, QuestionFormat
from tests.acceptance.cli import run_cli
from tests.contracts import run_contract_sql
from tests.factories import (
    answer_key_of,
    make_question,
    make_user,
    objective_answer,
)
from tests.integration.outbox_seed import seed_pending
from tests.integration.pipeline_checks import last_event_data, scalar, statuses, timeline
from tests.waiting import wait_until
from workers.relay import Relay


@pytest.mark.parametrize("fmt", sorted(OBJECTIVE_FORMATS))
def test_every_objective_format_is_graded_end_to_end(
    fmt: QuestionFormat,
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a learner answering 3 of 4 items right through the intake API
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=fmt, items=4)
        key = answer_key_of(session, question_id)
    answer = objective_answer(key, correct=3)
    # with sloppy case and spacing on a right answer, which must still count
    first = sorted(answer["answers"], key=int)[0]
    answer["answers"][first] = f"  {answer['answers'][first].upper()}  "
    intake = submit_in_new_transaction(
        session_factory,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer=answer,
    )
    # when the relay and a worker run
    make_relay().run_once()
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    # then 3 of 4 is 7.5 (3 / 4 * 10), band B2 (6.0 <= score < 8.5), and the result says so
    sid = intake.submission_id
    graded = scalar(
        engine, "SELECT score::text || ' ' || band FROM submissions WHERE id = :id", id=sid
    )
    assert graded == "7.5 B2"
    result = scalar(
        engine, "SELECT result FROM submission_details WHERE submission_id = :id", id=sid
    )
    assert (result["correctCount"], result["totalCount"], result["score"]) == (3, 4, 7.5)
    assert timeline(engine, sid) == ["submitted", "queued", "processing", "completed"]
    assert last_event_data(engine, sid, "completed")["correctCount"] == 3


# Eight items, so the score (correct / 8 * 10) falls on quarters and must be rounded to
# the nearest half with halves going up; the band is read from the rounded score:
# C1 >= 8.5, B2 >= 6.0, B1 >= 4.0, otherwise none (docs/scoring.md#numbers). Worked by hand.
EIGHT_ITEM_GRADES = {
    0: ("0.0", None),
    1: ("1.5", None),  # 1.25: half up, where banker's rounding gives 1.0
    2: ("2.5", None),
    3: ("4.0", "B1"),  # 3.75 rounds up onto the B1 threshold
    5: ("6.5", "B2"),  # 6.25: half up, where banker's rounding gives 6.0
    6: ("7.5", "B2"),
    7: ("9.0", "C1"),  # 8.75
    8: ("10.0", "C1"),
}


def test_scores_and_bands_follow_the_vstep_table_end_to_end(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a learner answering an eight-item question with 0 to 8 items right
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=QuestionFormat.READING_MCQ, items=8)
        key = answer_key_of(session, question_id)
    submitted = {
        correct: submit_in_new_transaction(
            session_factory,
            request_id=uuid.uuid4(),
            user_id=user_id,
            question_id=question_id,
            answer=objective_answer(key, correct=correct),
        ).submission_id
        for correct in EIGHT_ITEM_GRADES
    }
    # when the relay and a worker run
    make_relay().run_once()
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": len(submitted)}, timeout=30)
    # then each score and band is the one worked out by hand
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, score::text, band::text FROM submissions"))
        graded: dict[uuid.UUID, tuple[str, str | None]] = {
            sid: (score, band) for sid, score, band in rows
        }
    assert {correct: graded[sid] for correct, sid in submitted.items()} == EIGHT_ITEM_GRADES


@pytest.mark.parametrize("legacy", [False, True], ids=["function", "rows by hand"])
def test_a_submission_written_by_the_documented_sql_is_relayed_and_graded(
    engine: Engine,
    db_url: str,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
    legacy: bool,
) -> None:
    # given a producer in another language running the contract's SQL through psql: the
    # call of grading_intake_v1, or the four rows written by hand (the old contract)
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=QuestionFormat.LISTENING_MCQ, items=5)
        key = answer_key_of(session, question_id)
    run_contract_sql(
        db_url,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer=json.dumps(objective_answer(key, correct=5)),
        trace_id="trace-from-psql",
        legacy=legacy,
    )
    # when the relay and a worker run
    make_relay().run_once()
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    # then it is graded like any other, its trace id carried into the queued event
    sid = scalar(engine, "SELECT id FROM submissions")
    assert scalar(engine, "SELECT score FROM submissions") == Decimal("10.0")
    assert timeline(engine, sid) == ["submitted", "queued", "processing", "completed"]
    assert last_event_data(engine, sid, "queued")["traceId"] == "trace-from-psql"
    assert scalar(engine, "SELECT attempt_count FROM user_progress") == 1


def test_a_poison_row_fails_at_once_and_outbox_retry_sends_it_on_once_mended(
    engine: Engine,
    child_env: dict[str, str],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a producer that wrote a payload without its userId
    (outbox_id,) = seed_pending(engine, 1, payload_override={"userId": None})
    relay = make_relay()
    relay.run_once()
    assert scalar(engine, "SELECT status::text FROM outbox") == "failed"
    assert "payload.userId" in scalar(engine, "SELECT error_message FROM outbox")
    # when the operator mends the payload and retries the row from the command line
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE outbox o SET payload = o.payload || jsonb_build_object('userId', s.user_id)"
                " FROM submissions s WHERE s.id = o.submission_id"
            )
        )
    retried = run_cli("outbox", "retry", str(outbox_id), env=child_env)
    assert retried.returncode == 0, retried.stderr
    # then the relay publishes it and the worker grades it
    relay.run_once()
    start_worker()
    wait_until(lambda: statuses(engine) == {"completed": 1}, timeout=20)
    sid = scalar(engine, "SELECT id FROM submissions")
    assert timeline(engine, sid) == [
        "submitted",
        "outbox_failed",
        "failed",
        "outbox_retried",
        "operator_retried",
        "queued",
        "processing",
        "completed",
    ]
