"""Submissions for the serve tests' callbacks to answer: a queued reading one, a writing
one being graded."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from tests.factories import make_question, make_user, valid_answer
from tests.integration.outbox_seed import seed_pending


def queued_submission(engine: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    """A reading submission (seeded with its outbox row) moved to queued, and its request id."""
    (outbox_id,) = seed_pending(engine, 1)
    with engine.begin() as conn:
        submission_id, request_id = conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'queued' "
                "WHERE id = (SELECT submission_id FROM outbox WHERE id = :id) "
                "RETURNING id, request_id"
            ),
            {"id": outbox_id},
        ).one()
    return submission_id, request_id


def writing_in_processing(
    session_factory: sessionmaker[Session], engine: Engine
) -> tuple[uuid.UUID, uuid.UUID]:
    """A writing submission taken by intake and moved to processing, and its request id."""
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=QuestionFormat.WRITING_TASK_1)
    request_id = uuid.uuid4()
    result = submit_in_new_transaction(
        session_factory,
        request_id=request_id,
        user_id=user_id,
        question_id=question_id,
        answer=valid_answer(QuestionFormat.WRITING_TASK_1),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE submissions SET status = 'processing' WHERE id = :id"),
            {"id": result.submission_id},
        )
    return result.submission_id, request_id
