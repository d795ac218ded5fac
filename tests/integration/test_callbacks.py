"""Callbacks from external graders and reviewers: one effect each, whatever the order or
the number of copies, through the service both doors share (through the actor on the
broker: test_callbacks_queue.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.enums import UserRole
from domain.errors import InvalidInput, NotFound, StaleRequest
from tests.factories import make_user
from tests.integration.callback_bodies import (
    CRITERIA,
    callback,
    completed,
    reviewed,
    writing_submission,
)
from tests.integration.outbox_seed import event_counts
from tests.integration.pipeline_checks import last_event_data, scalar, statuses
from workers.assembly import callback_service_from
from workers.results import CallbackService, ResultSettings
from workers.settings import Settings


@pytest.fixture
def service(session_factory: sessionmaker[Session]) -> CallbackService:
    return CallbackService(session_factory, ResultSettings(spot_check_rate=0))


def reviewer(session_factory: sessionmaker[Session]) -> uuid.UUID:
    """A member of staff: only an instructor or an admin may review."""
    with session_factory.begin() as session:
        return make_user(session, role=UserRole.INSTRUCTOR)


def test_a_confident_result_completes_the_submission_once_with_progress(
    engine: Engine, session_factory: sessionmaker[Session], service: CallbackService
) -> None:
    sid, rid = writing_submission(session_factory, engine)
    body = completed(sid, rid)
    assert service.apply(body, via="test") == "applied"
    # and the same callback again is a duplicate that changes nothing
    assert service.apply(body, via="test") == "duplicate"
    assert statuses(engine) == {"completed": 1}
    assert scalar(engine, "SELECT score::text || band FROM submissions") == "7.5B2"
    result = scalar(engine, "SELECT result FROM submission_details")
    assert result["overallScore"] == 7.5 and set(result["criteriaScores"]) == set(CRITERIA)
    assert result["confidence"] == 95 and result["reviewPending"] is False
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 1
    assert scalar(engine, "SELECT count(*) FROM processed_callbacks") == 1
    assert event_counts(engine, "completed") == {sid: 1}


def test_low_confidence_goes_to_review_and_the_reviewer_finalizes_it_once(
    engine: Engine, session_factory: sessionmaker[Session], service: CallbackService
) -> None:
    sid, rid = writing_submission(session_factory, engine)
    assert service.apply(completed(sid, rid, score=7.0, confidence=60), via="test") == "applied"
    assert statuses(engine) == {"review_pending": 1}
    assert scalar(engine, "SELECT review_priority::text FROM submissions") == "high"
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 0
    # when the reviewer agrees within half a point: 0.4 * 7.0 + 0.6 * 7.5 = 7.3 -> 7.5
    person = reviewer(session_factory)
    assert service.apply(reviewed(sid, rid, score=7.5, reviewer=person), via="test") == "applied"
    assert statuses(engine) == {"completed": 1}
    row = scalar(
        engine,
        "SELECT score::text || ' ' || grading_mode::text || ' ' || reviewer_id FROM submissions",
    )
    assert row == f"7.5 hybrid {person}"
    result = scalar(engine, "SELECT result FROM submission_details")
    assert (result["ai"]["overallScore"], result["human"]["overallScore"]) == (7.0, 7.5)
    assert result["final"] == {
        "overallScore": 7.5,
        "band": "B2",
        "gradingMode": "hybrid",
        "auditFlag": False,
    }
    # and a second review finds it final
    assert service.apply(reviewed(sid, rid, score=4.0, reviewer=person), via="test") == "ignored"
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 1


def test_out_of_order_a_review_before_the_ai_result_and_progress_after_it(
    engine: Engine, session_factory: sessionmaker[Session], service: CallbackService
) -> None:
    sid, rid = writing_submission(session_factory, engine)
    person = reviewer(session_factory)
    assert service.apply(reviewed(sid, rid, score=6.0, reviewer=person), via="test") == "applied"
    assert service.apply(completed(sid, rid, score=8.0), via="test") == "ignored"
    progress = callback(sid, rid, "progress", {"progress": 0.9, "message": "almost"})
    assert service.apply(progress, via="test") == "ignored"
    assert scalar(engine, "SELECT score::text || grading_mode::text FROM submissions") == "6.0human"
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 1
    assert event_counts(engine, "progress") == {}
    assert event_counts(engine, "result_ignored") == {sid: 1}


def test_a_result_after_a_timeout_is_stored_as_late_and_touches_no_progress(
    engine: Engine, session_factory: sessionmaker[Session], service: CallbackService
) -> None:
    sid, rid = writing_submission(session_factory, engine, status="failed")
    assert service.apply(completed(sid, rid), via="test") == "late"
    assert statuses(engine) == {"failed": 1}
    assert scalar(engine, "SELECT is_late FROM submissions") is True
    assert scalar(engine, "SELECT result->>'late' FROM submission_details") == "true"
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 0
    assert event_counts(engine, "late_result") == {sid: 1}


def test_grader_errors_retry_or_fail_with_the_graders_code(
    engine: Engine, session_factory: sessionmaker[Session], service: CallbackService
) -> None:
    retryable, rid1 = writing_submission(session_factory, engine)
    fatal, rid2 = writing_submission(session_factory, engine)
    error = {"type": "timeout", "code": "UPSTREAM_TIMEOUT", "message": "model timed out"}
    assert (
        service.apply(
            callback(retryable, rid1, "error", {"error": {**error, "retryable": True}}), via="test"
        )
        == "applied"
    )
    assert (
        service.apply(
            callback(fatal, rid2, "error", {"error": {**error, "retryable": False}}), via="test"
        )
        == "applied"
    )
    status = dict(
        (row[0], row[1])
        for row in engine.connect().execute(sa.text("SELECT id, status::text FROM submissions"))
    )
    assert (status[retryable], status[fatal]) == ("retrying", "failed")
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM outbox WHERE submission_id = :id AND status = 'pending'",
            id=retryable,
        )
        == 2
    )  # intake's row (never relayed here) and the one sent again
    failed = last_event_data(engine, fatal, "failed")
    assert (failed["failureReason"], failed["code"]) == ("GRADER_ERROR", "UPSTREAM_TIMEOUT")
    # and the retried request waits out its backoff: notBefore in the payload
    retrying = last_event_data(engine, retryable, "retrying")
    payload = scalar(engine, "SELECT payload FROM outbox WHERE id = :id", id=retrying["outboxId"])
    assert datetime.fromisoformat(payload["notBefore"]) == datetime.fromisoformat(
        retrying["notBefore"]
    )
    assert scalar(engine, "SELECT CAST(:t AS timestamptz) > now()", t=payload["notBefore"]) is True


def test_refusals_write_nothing_but_a_stale_result_event(
    engine: Engine, session_factory: sessionmaker[Session], service: CallbackService
) -> None:
    sid, rid = writing_submission(session_factory, engine)
    with pytest.raises(StaleRequest):
        service.apply(completed(sid, uuid.uuid4()), via="test")
    with pytest.raises(NotFound):
        service.apply(completed(uuid.uuid4(), rid), via="test")
    bad_band = completed(sid, rid)
    bad_band["data"]["result"]["band"] = "C1"
    with pytest.raises(InvalidInput) as refused:
        service.apply(bad_band, via="test")
    assert refused.value.field == "data.result.band"
    speaking_criterion = completed(sid, rid)
    speaking_criterion["data"]["result"]["criteriaScores"]["fluency"] = {"score": 5}
    with pytest.raises(InvalidInput) as refused:
        service.apply(speaking_criterion, via="test")
    assert refused.value.field == "data.result.criteriaScores.fluency"
    assert statuses(engine) == {"processing": 1}
    assert scalar(engine, "SELECT count(*) FROM processed_callbacks") == 0
    assert event_counts(engine, "stale_result") == {sid: 1}


def test_spot_checks_of_external_results_follow_spot_check_seed(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    def routed(seed: int) -> list[str]:
        """Where 16 confident results of an external grader go, through a callback service
        assembled from settings as `serve` and the workers assemble theirs."""
        settings = Settings(spot_check_rate=0.5, spot_check_seed=seed)
        service = callback_service_from(settings, session_factory)
        statuses = []
        for _ in range(16):
            sid, rid = writing_submission(session_factory, engine)
            assert service.apply(completed(sid, rid, confidence=95), via="test") == "applied"
            statuses.append(
                scalar(engine, "SELECT status::text FROM submissions WHERE id = :id", id=sid)
            )
        return statuses

    # with one seed, the same draws each time the service starts
    first = routed(seed=2026)
    assert first == routed(seed=2026)
    assert set(first) == {"completed", "review_pending"}
    # and another seed draws otherwise (16 draws at 0.5: alike by chance 1 in 65536)
    assert routed(seed=7) != first
    with engine.connect() as conn:
        in_review = conn.execute(
            sa.text("SELECT id FROM submissions WHERE status = 'review_pending'")
        ).scalars()
        assert event_counts(engine, "spot_check") == {sid: 1 for sid in in_review}
