"""Two completions of one learner and skill at once: the second counts the first's score."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.messages import parse_grading_request
from tests.integration.outbox_seed import seed_pending
from tests.integration.pipeline_checks import scalar
from tests.waiting import wait_until
from workers.grading import Delivery, GradingService, Outcome
from workers.relay import Relay


def grade(service: GradingService, engine: Engine, submission_id: uuid.UUID) -> Outcome:
    payload = scalar(
        engine, "SELECT payload FROM outbox WHERE submission_id = :id", id=submission_id
    )
    delivery = Delivery(str(uuid.uuid4()), max_retries=3, worker_id="test")
    return service.grade(parse_grading_request(payload), delivery).outcome


def lock_waits(engine: Engine) -> int:
    return int(
        scalar(
            engine,
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
    )


def test_a_completion_that_waited_for_the_progress_row_counts_the_score_committed_meanwhile(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
) -> None:
    # given a learner with one graded submission (5.0) and two more queued, all reading
    first, second, third = (
        scalar(engine, "SELECT submission_id FROM outbox WHERE id = :id", id=outbox_id)
        for outbox_id in seed_pending(engine, 3)
    )
    make_relay().run_once()
    service = GradingService(engine)
    assert grade(service, engine, first) is Outcome.COMPLETED
    # and another completion of the same learner and skill holding the progress row: it
    # has written a 9.0 and moved the streak up, and has not committed yet
    other = engine.raw_connection()
    try:
        cursor = other.cursor()
        cursor.execute("SELECT id FROM user_progress FOR UPDATE")
        cursor.execute(
            "INSERT INTO user_skill_scores (user_id, skill, submission_id, score, created_at) "
            "SELECT user_id, skill, id, 9.0, clock_timestamp() FROM submissions WHERE id = %s",
            (third,),
        )
        cursor.execute(
            "UPDATE user_progress SET attempt_count = 2, streak_direction = 'up', streak_count = 1"
        )
        # when a grading of the same learner and skill reaches the row and waits for it
        outcome: list[Outcome] = []
        grading = threading.Thread(
            target=lambda: outcome.append(grade(service, engine, second)), daemon=True
        )
        grading.start()
        wait_until(lambda: lock_waits(engine) >= 1, timeout=10, message="no grading waits")
        # and the other completion commits
        other.commit()
    finally:
        other.close()
    grading.join(timeout=10)
    # then the grading counted the 9.0 it did not see when it started: 5.0 after 9.0 is
    # a step down (had it missed the 9.0, 5.0 after 5.0 would be level)
    assert outcome == [Outcome.COMPLETED]
    assert scalar(engine, "SELECT attempt_count FROM user_progress") == 3
    assert scalar(engine, "SELECT streak_direction::text FROM user_progress") == "down"
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 3
