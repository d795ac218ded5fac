"""Submissions brought to review, and reads of them, for the `review` command tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from domain.messages import parse_grading_request
from tests.acceptance.cli import run_cli
from tests.engines import engine_of
from tests.factories import make_question, make_user, valid_answer
from workers.actors import RetryPolicy
from workers.grading import Delivery, GradingService
from workers.results import CallbackService, ResultSettings

F = QuestionFormat


def graded(factory: sessionmaker[Session], question: uuid.UUID, text: str) -> uuid.UUID:
    """A writing submission through intake, graded at once by the built-in grader."""
    return graded_answer(factory, question, {"text": text})


def graded_answer(
    factory: sessionmaker[Session], question: uuid.UUID, answer: dict[str, Any]
) -> uuid.UUID:
    """A submission of ``answer`` through intake, graded at once as the worker does."""
    with factory.begin() as session:
        user_id = make_user(session)
    sid = submit_in_new_transaction(
        factory,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question,
        answer=answer,
    ).submission_id
    with factory.begin() as session:
        message_id, payload = session.execute(
            sa.text("SELECT id, payload FROM outbox WHERE submission_id = :id"), {"id": sid}
        ).one()
    GradingService(engine_of(factory)).grade(
        parse_grading_request(payload),
        Delivery(str(message_id), max_retries=RetryPolicy().max_retries, worker_id="t"),
    )
    return sid


def cli_json(env: dict[str, str], *args: str) -> Any:
    result = run_cli(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def row(engine: Engine, sid: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT status::text AS status, score, grading_mode::text AS mode, audit_flag, "
                "reviewer_id, claimed_by FROM submissions WHERE id = :id"
            ),
            {"id": sid},
        ).one()


def in_review(factory: sessionmaker[Session], engine: Engine, ai_score: float) -> uuid.UUID:
    """A writing submission whose AI result (``ai_score``, confidence 72) waits for review."""
    with factory.begin() as session:
        learner = make_user(session)
        question = make_question(session, format=F.WRITING_TASK_1)
    intake = submit_in_new_transaction(
        factory,
        request_id=uuid.uuid4(),
        user_id=learner,
        question_id=question,
        answer=valid_answer(F.WRITING_TASK_1),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE submissions SET status = 'processing' WHERE id = :id"),
            {"id": intake.submission_id},
        )
    verdict = CallbackService(factory, ResultSettings(spot_check_rate=0)).apply(
        {
            "eventId": str(uuid.uuid4()),
            "requestId": str(intake.request_id),
            "submissionId": str(intake.submission_id),
            "kind": "completed",
            "occurredAt": "2026-12-01T10:00:00Z",
            "data": {"result": {"overallScore": ai_score, "confidence": 72}},
        },
        via="test",
    )
    assert verdict == "applied"
    assert row(engine, intake.submission_id).status == "review_pending"
    return intake.submission_id
