"""Nothing acked in silence: every message that changes nothing leaves an event saying why,
and a request that disagrees with its submission row is poison that fails the submission."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from tests.factories import answer_key_for, make_question, make_user, valid_answer
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import last_event_data, scalar, statuses, timeline
from tests.waiting import wait_until
from workers.relay import Relay


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"requestId": str(uuid.uuid4())}, "payload.requestId"),
        ({"userId": str(uuid.uuid4())}, "payload.userId"),
        ({"skill": "listening"}, "payload.skill"),
    ],
)
def test_a_request_that_disagrees_with_its_submission_is_poison_and_fails_it(
    override: dict[str, Any], field: str, engine: Engine, make_relay: Callable[..., Relay]
) -> None:
    # given a producer whose payload names another request, user or skill than its row
    (outbox_id,) = seed_pending(engine, 1, payload_override=override)
    # when the relay passes
    make_relay().run_once()
    # then the row failed at once, naming the field, and so did the submission, in one go
    assert scalar(engine, "SELECT status::text FROM outbox") == "failed"
    assert field in scalar(engine, "SELECT error_message FROM outbox")
    sid = scalar(engine, "SELECT submission_id FROM outbox")
    assert statuses(engine) == {"failed": 1}
    failed = last_event_data(engine, sid, "failed")
    assert failed["failureReason"] == "BAD_INPUT" and field in failed["lastError"]
    assert failed["outboxId"] == str(outbox_id)
    assert timeline(engine, sid) == ["submitted", "outbox_failed", "failed"]


def test_a_submission_filed_under_another_skill_than_its_question_is_poison(
    engine: Engine, make_relay: Callable[..., Relay]
) -> None:
    # given a row written by SQL whose skill is not its question's (a reading question)
    seed_pending(engine, 1, payload_override={"skill": "listening"})
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE submissions SET skill = 'listening'"))
    make_relay().run_once()
    assert statuses(engine) == {"failed": 1}
    assert "submissions.skill" in scalar(engine, "SELECT error_message FROM outbox")


def submit(session_factory: sessionmaker[Session], fmt: QuestionFormat) -> uuid.UUID:
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=fmt, items=2)
    return submit_in_new_transaction(
        session_factory,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer=valid_answer(fmt, answer_key_for(fmt, items=2)),
    ).submission_id


def test_messages_that_change_nothing_say_why_on_the_submission(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a writing submission (graded by the built-in grader), one whose request was
    # replaced after it was relayed, and one soft-deleted after it was relayed
    writing = submit(session_factory, QuestionFormat.WRITING_TASK_1)
    stale = submit(session_factory, QuestionFormat.READING_MCQ)
    deleted = submit(session_factory, QuestionFormat.READING_MCQ)
    make_relay().run_once()
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE submissions SET request_id = gen_random_uuid() WHERE id = :id"),
            {"id": stale},
        )
        conn.execute(
            sa.text("UPDATE submissions SET deleted_at = now() WHERE id = :id"), {"id": deleted}
        )
    # when a worker takes their messages
    start_worker()

    def writing_status() -> str:
        return str(scalar(engine, "SELECT status FROM submissions WHERE id = :id", id=writing))

    wait_until(
        lambda: (
            len(event_counts(engine, "stale_request"))
            + len(event_counts(engine, "grading_skipped"))
            == 2
            and writing_status() != "queued"
        ),
        timeout=20,
        message="not every message left an event",
    )
    # then the two left alone stay queued, each with an event saying why, and the writing
    # one was graded by the built-in grader (no external grader is set)
    assert statuses(engine) == {"queued": 2, writing_status(): 1}
    assert writing_status() in ("completed", "review_pending")
    grader = scalar(
        engine,
        "SELECT result ->> 'grader' FROM submission_details WHERE submission_id = :id",
        id=writing,
    )
    assert grader.startswith("vstep-builtin/")
    assert "is not the current request" in last_event_data(engine, stale, "stale_request")["reason"]
    assert last_event_data(engine, deleted, "grading_skipped")["reason"] == "submission is deleted"
