"""Submissions for the browser tests, written through intake and graded in-process."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from devtools import demo_texts as texts
from domain.enums import QuestionFormat
from domain.messages import parse_grading_request
from tests.engines import engine_of
from tests.factories import make_question, make_user
from workers.actors import RetryPolicy
from workers.grading import Delivery, GradingService


def writing_question(factory: sessionmaker[Session]) -> uuid.UUID:
    with factory.begin() as session:
        return make_question(
            session, format=QuestionFormat.WRITING_TASK_2, content=texts.WRITING_TASK_2
        )


def grade_pending(factory: sessionmaker[Session], submission_id: uuid.UUID) -> None:
    """Grade the submission's newest pending grading request, as a worker would."""
    with factory.begin() as session:
        message_id, payload = session.execute(
            sa.text(
                "SELECT id, payload FROM outbox WHERE submission_id = :id AND status = 'pending'"
                " ORDER BY created_at DESC LIMIT 1"
            ),
            {"id": submission_id},
        ).one()
        # As the relay would: the row is sent.
        session.execute(
            sa.text("UPDATE outbox SET status = 'published', published_at = now() WHERE id = :id"),
            {"id": message_id},
        )
    GradingService(engine_of(factory)).grade(
        parse_grading_request(payload),
        Delivery(str(message_id), max_retries=RetryPolicy().max_retries, worker_id="t"),
    )


def submitted(
    factory: sessionmaker[Session], question: uuid.UUID, answer: dict[str, object]
) -> uuid.UUID:
    with factory.begin() as session:
        user_id = make_user(session)
    return submit_in_new_transaction(
        factory, request_id=uuid.uuid4(), user_id=user_id, question_id=question, answer=answer
    ).submission_id


def in_review(factory: sessionmaker[Session], question: uuid.UUID, text: str) -> uuid.UUID:
    """A writing submission graded by the built-in grader (it must land in review)."""
    sid = submitted(factory, question, {"text": text})
    grade_pending(factory, sid)
    with factory.begin() as session:
        status = session.execute(
            sa.text("SELECT status FROM submissions WHERE id = :id"), {"id": sid}
        ).scalar_one()
    assert status == "review_pending", status
    return sid


def review_queue(factory: sessionmaker[Session]) -> list[uuid.UUID]:
    question = writing_question(factory)
    ladder = dict(texts.ESSAY_LADDER)
    return [
        in_review(factory, question, texts.ESSAY_PROMPT_COPY),
        in_review(factory, question, ladder["poor"]),
        in_review(factory, question, ladder["fair"]),
    ]


def failed_by_timeout(factory: sessionmaker[Session], count: int) -> list[uuid.UUID]:
    """Objective submissions sent to a worker that never answered: past their deadline,
    the timeout duty fails them (TIMEOUT), as it would in production."""
    from tests.factories import answer_key_of, objective_answer
    from workers.duties.timeouts import TimeoutDuty

    with factory.begin() as session:
        question = make_question(session)
        key = answer_key_of(session, question)
    ids = [submitted(factory, question, objective_answer(key)) for _ in range(count)]
    with factory.begin() as session:
        session.execute(
            sa.text(
                "UPDATE outbox SET status = 'published', published_at = now()"
                " WHERE submission_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        session.execute(
            sa.text(
                "UPDATE submissions SET status = 'queued', deadline = now() - interval '1 second'"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )
    TimeoutDuty(factory).run_once()
    return ids
