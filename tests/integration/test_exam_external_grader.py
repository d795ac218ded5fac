"""A mock exam graded by an external grader: the parts it is asked about, and the unanswered
one it is not."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import dramatiq
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.exam_intake import submit_exam
from domain.enums import QuestionFormat
from tests.exam_fixtures import make_exam
from tests.grader_standin import grader_standin
from tests.integration.exam_rows import parts
from tests.waiting import wait_until
from workers.ai_grader import AiGraderClient
from workers.relay import Relay

F = QuestionFormat


def test_with_an_external_grader_an_unanswered_part_is_scored_zero_without_asking_it(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a session whose essay was left unanswered, and an external grader configured
    fixture = make_exam(session_factory, unanswered=0)
    essay = next(q for q, f in fixture.questions.items() if f is F.WRITING_TASK_2)
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM exam_answers WHERE session_id = :s AND question_id = :q"),
            {"s": fixture.session_id, "q": essay},
        )
    with session_factory.begin() as session:
        submit_exam(session, session_id=fixture.session_id)
    with grader_standin((202, {})) as grader:
        make_relay().run_once()
        start_worker(ai_grader=AiGraderClient(grader.url, callback_url="http://127.0.0.1:1/cb"))
        wait_until(
            lambda: (
                next(p for p in parts(engine, fixture.session_id) if p.question_id == essay).status
                == "completed"
            ),
            timeout=30,
            message="the unanswered essay was not graded",
        )
        # the other writing and speaking parts went to the grader; the empty one did not
        wait_until(lambda: len(grader.received) == 4, timeout=10, message="requests missing")
    blank = next(p for p in parts(engine, fixture.session_id) if p.question_id == essay)
    assert blank.score == Decimal("0.0")
    assert len(grader.received) == 4
    assert all(r["answer"].get("text", "x") != "" for r in grader.received)
