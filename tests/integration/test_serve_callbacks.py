"""Callbacks through a real `vstep-grading serve`, signed as an external grader signs them:
each kind goes through the one result path and applies once; /metrics shows the backlog."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.enums import UserRole
from tests.factories import make_user
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import scalar, timeline
from tests.integration.serve_client import ServeClient, callback, writing_result
from tests.integration.serve_submissions import queued_submission, writing_in_processing


def test_a_signed_progress_is_applied_once_and_its_replay_is_a_duplicate(
    server: ServeClient, engine: Engine
) -> None:
    # given a queued submission
    submission_id, request_id = queued_submission(engine)
    body = callback(submission_id, request_id, "progress", {"progress": 0.5, "message": "half"})

    # when a grader posts a signed progress note, then the same body again
    first = server.post(body)
    replay = server.post(body)

    # then it is applied once, with one progress event, and the replay changes nothing
    assert (first.status_code, first.json()) == (200, {"status": "applied"})
    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    assert timeline(engine, submission_id).count("progress") == 1


def test_a_stale_request_is_409_and_leaves_a_stale_result_event(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a writing submission being graded for its current request
    submission_id, _current = writing_in_processing(session_factory, engine)

    # when a result answering another (older) request arrives
    answer = server.post(callback(submission_id, uuid.uuid4(), "completed", writing_result(95)))

    # then it is refused, recorded as stale, and the submission is still being graded
    assert answer.status_code == 409
    assert "stale_result" in timeline(engine, submission_id)
    assert scalar(engine, "SELECT status FROM submissions WHERE id = :id", id=submission_id) == (
        "processing"
    )


def test_a_confident_result_completes_the_submission(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    submission_id, request_id = writing_in_processing(session_factory, engine)

    answer = server.post(callback(submission_id, request_id, "completed", writing_result(95)))

    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    row = scalar(
        engine, "SELECT status || ' ' || score FROM submissions WHERE id = :id", id=submission_id
    )
    assert row == "completed 7.5"


def test_an_unsure_result_waits_for_review_and_metrics_show_the_backlog(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a writing submission being graded and three rows waiting in the outbox
    submission_id, request_id = writing_in_processing(session_factory, engine)
    seed_pending(engine, 3)

    # when a result with confidence 60 arrives
    answer = server.post(callback(submission_id, request_id, "completed", writing_result(60)))

    # then it waits for a reviewer with priority high, and /metrics says so
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    row = scalar(
        engine,
        "SELECT status || ' ' || review_priority FROM submissions WHERE id = :id",
        id=submission_id,
    )
    assert row == "review_pending high"
    metrics = server.client.get("/metrics")
    assert metrics.status_code == 200
    lines = set(metrics.text.splitlines())
    assert 'vstep_review_backlog{priority="high"} 1.0' in lines
    # the writing submission's own outbox row from intake is pending too
    assert 'vstep_outbox_rows{status="pending"} 4.0' in lines
    assert "vstep_database_up 1.0" in lines
    assert any(line.startswith("vstep_outbox_oldest_pending_age_seconds ") for line in lines)
    # this process's own counters are there too
    assert 'vstep_callbacks_total{kind="completed",status="applied"} 1.0' in lines


def test_the_same_callback_a_hundred_times_at_once_is_applied_once(
    server: ServeClient, engine: Engine
) -> None:
    submission_id, request_id = queued_submission(engine)
    body = callback(submission_id, request_id, "progress", {"progress": 0.1})

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(lambda _: server.post(body), range(100)))

    assert Counter(a.status_code for a in answers) == {200: 100}
    assert Counter(a.json()["status"] for a in answers) == {"applied": 1, "duplicate": 99}
    assert event_counts(engine, "progress") == {submission_id: 1}


def test_every_kind_through_the_http_door_review_and_errors_included(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given three writing submissions waiting for their grader
    reviewed_id, reviewed_rid = writing_in_processing(session_factory, engine)
    retried_id, retried_rid = writing_in_processing(session_factory, engine)
    failed_id, failed_rid = writing_in_processing(session_factory, engine)
    with session_factory.begin() as session:
        reviewer = make_user(session, role=UserRole.INSTRUCTOR)
    low = {"result": {"overallScore": 6.0, "confidence": 72}}
    review = {"reviewerId": str(reviewer), "overallScore": 6.5, "band": "B2"}
    error = {"type": "timeout", "code": "UPSTREAM_TIMEOUT", "message": "slow model"}
    answers = [
        # a result with medium confidence waits for review; the review finalizes it
        server.post(callback(reviewed_id, reviewed_rid, "completed", low)),
        server.post(callback(reviewed_id, reviewed_rid, "review", review)),
        # a retryable error sends the request again; another fails it
        server.post(
            callback(retried_id, retried_rid, "error", {"error": {**error, "retryable": True}})
        ),
        server.post(
            callback(failed_id, failed_rid, "error", {"error": {**error, "retryable": False}})
        ),
    ]
    assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "applied")] * 4
    statuses_by_id = dict(
        (row[0], row[1])
        for row in engine.connect().execute(sa.text("SELECT id, status::text FROM submissions"))
    )
    assert [statuses_by_id[i] for i in (reviewed_id, retried_id, failed_id)] == [
        "completed",
        "retrying",
        "failed",
    ]
    # 0.4 * 6.0 + 0.6 * 6.5 = 6.3 -> 6.5, hybrid, the reviewer recorded
    assert (
        scalar(
            engine,
            "SELECT score::text || ' ' || grading_mode::text || ' ' || reviewer_id"
            " FROM submissions "
            "WHERE id = :id",
            id=reviewed_id,
        )
        == f"6.5 hybrid {reviewer}"
    )
    assert timeline(engine, reviewed_id)[-3:] == ["review_requested", "reviewed", "completed"]
