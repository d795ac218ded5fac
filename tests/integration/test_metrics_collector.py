"""The system's state read from the database at scrape time, cheap at any size.

What the processes did (outcomes, latency) they count themselves: see
test_process_metrics.py.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db import metrics_queries
from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from tests.factories import make_question, make_user, valid_answer
from tests.integration.outbox_seed import seed_pending
from workers.results import CallbackService, ResultSettings
from workers.web.collector import DatabaseCollector


def test_a_scrape_counts_outbox_backlog_submissions_and_callbacks(
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
    assert sample("vstep_processed_callbacks") == 1
    assert sample("vstep_outbox_rows", status="published") == 0
    assert sample("vstep_outbox_rows", status="failed") == 0
    oldest = sample("vstep_outbox_oldest_pending_age_seconds")
    assert oldest is not None and 0 <= oldest < 60
    assert sample("vstep_review_backlog", priority="high") == 0


def test_past_the_exact_limit_a_count_is_postgresqls_estimate(
    session_factory: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 12 pending submissions with their outbox rows, the tables analyzed (as
    # autovacuum keeps them), and a scrape that counts exactly only up to 5
    seed_pending(engine, 12)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("ANALYZE submissions, outbox")
        )
    monkeypatch.setattr(metrics_queries, "EXACT_COUNT_LIMIT", 5)
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(session_factory))

    # then the counts past 5 are the planner's estimates, right for fresh statistics
    assert registry.get_sample_value("vstep_submissions", {"status": "pending"}) == 12
    assert registry.get_sample_value("vstep_outbox_rows", {"status": "pending"}) == 12
    # and those within it stay exact
    assert registry.get_sample_value("vstep_submissions", {"status": "queued"}) == 0


def test_a_stale_estimate_never_says_fewer_than_the_rows_counted(
    session_factory: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given statistics taken while the outbox was empty, then 12 pending rows
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("ANALYZE submissions, outbox")
        )
    seed_pending(engine, 12)
    monkeypatch.setattr(metrics_queries, "EXACT_COUNT_LIMIT", 5)
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(session_factory))

    # then the count is at least the rows the capped count saw
    pending = registry.get_sample_value("vstep_submissions", {"status": "pending"})
    assert pending is not None and pending >= 6


def test_scrapes_close_together_share_one_read(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    cached = DatabaseCollector(session_factory, cache_seconds=60)
    fresh = DatabaseCollector(session_factory, cache_seconds=0)
    registries = {"cached": CollectorRegistry(), "fresh": CollectorRegistry()}
    registries["cached"].register(cached)
    registries["fresh"].register(fresh)

    def pending(which: str) -> float | None:
        return registries[which].get_sample_value("vstep_outbox_rows", {"status": "pending"})

    assert pending("cached") == pending("fresh") == 0
    seed_pending(engine, 2)
    # the cached read answers again within its time; a fresh one sees the new rows
    assert pending("cached") == 0
    assert pending("fresh") == 2


def test_a_long_review_backlog_is_shown_by_the_front_of_its_queue(
    session_factory: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three submissions waiting for a reviewer: critical (confidence 20), high (55)
    # and low (80), and a scrape that reads at most two rows of the review queue
    ids = seed_pending(engine, 3)
    with engine.begin() as conn:
        for outbox_id, (confidence, priority) in zip(
            ids, [(80, "low"), (20, "critical"), (55, "high")], strict=True
        ):
            conn.execute(
                sa.text(
                    "UPDATE submissions SET status = 'review_pending', confidence = :c, "
                    "review_priority = CAST(:p AS review_priority) "
                    "WHERE id = (SELECT submission_id FROM outbox WHERE id = :id)"
                ),
                {"c": confidence, "p": priority, "id": outbox_id},
            )
    monkeypatch.setattr(metrics_queries, "SCATTERED_COUNT_LIMIT", 2)
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(session_factory))

    def waiting(priority: str) -> float | None:
        return registry.get_sample_value("vstep_review_backlog", {"priority": priority})

    # then the backlog by priority shows the front of the queue, the most urgent
    assert (waiting("critical"), waiting("high"), waiting("low")) == (1, 1, 0)
    # and the total is still whole
    assert registry.get_sample_value("vstep_submissions", {"status": "review_pending"}) == 3
