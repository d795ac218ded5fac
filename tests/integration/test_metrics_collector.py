"""The metrics read from the database at scrape time: what every process did, in one place."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from tests.factories import make_question, make_user, valid_answer
from tests.integration.outbox_seed import seed_pending
from workers.results import CallbackService, ResultSettings
from workers.web.collector import DatabaseCollector


def test_a_scrape_counts_outbox_backlog_outcomes_and_latency(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    # given two pending outbox rows, and a writing submission completed 90 s after intake
    seed_pending(engine, 2)
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=QuestionFormat.WRITING_TASK_2)
    request_id = uuid.uuid4()
    submission_id = submit_in_new_transaction(
        session_factory,
        request_id=request_id,
        user_id=user_id,
        question_id=question_id,
        answer=valid_answer(QuestionFormat.WRITING_TASK_2),
    ).submission_id
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'processing', "
                "created_at = now() - interval '90 seconds' WHERE id = :id"
            ),
            {"id": submission_id},
        )
    CallbackService(session_factory, ResultSettings(spot_check_rate=0)).apply(
        {
            "eventId": str(uuid.uuid4()),
            "requestId": str(request_id),
            "submissionId": str(submission_id),
            "kind": "completed",
            "occurredAt": "2026-11-26T09:15:02Z",
            "data": {"result": {"overallScore": 6.0, "confidence": 97}},
        },
        via="test",
    )

    # when the collector is scraped
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(session_factory))

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    # then it reports the database's rows as they are
    assert sample("vstep_database_up") == 1
    assert sample("vstep_outbox_rows", status="pending") == 3  # two seeded, one from intake
    assert sample("vstep_submissions", status="completed") == 1
    assert sample("vstep_submissions", status="pending") == 2
    assert sample("vstep_submission_events_total", kind="completed") == 1
    assert sample("vstep_processed_callbacks") == 1
    assert sample("vstep_completion_latency_seconds_count", skill="writing") == 1
    assert sample("vstep_completion_latency_seconds_bucket", skill="writing", le="60.0") == 0
    assert sample("vstep_completion_latency_seconds_bucket", skill="writing", le="120.0") == 1
    assert sample("vstep_completion_latency_seconds_count", skill="reading") == 0
    assert 89 < (sample("vstep_completion_latency_seconds_sum", skill="writing") or 0) < 120
    assert sample("vstep_review_backlog", priority="high") == 0
