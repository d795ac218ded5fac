"""Reviews through the signed HTTP door of a real `vstep-grading serve`: only staff other
than the learner may review; a refusal writes nothing, so a corrected review is applied."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.enums import UserRole
from tests.factories import make_user
from tests.integration.pipeline_checks import written
from tests.integration.serve_client import ServeClient, callback
from tests.integration.serve_submissions import writing_in_processing


def waiting_for_review(
    server: ServeClient, session_factory: sessionmaker[Session], engine: Engine
) -> tuple[uuid.UUID, uuid.UUID]:
    """A writing submission whose AI result (6.0, confidence 72) waits for review."""
    sid, rid = writing_in_processing(session_factory, engine)
    low = {"result": {"overallScore": 6.0, "confidence": 72}}
    assert server.post(callback(sid, rid, "completed", low)).json() == {"status": "applied"}
    return sid, rid


def test_a_review_by_anyone_but_active_staff_is_refused_and_writes_nothing(
    server: ServeClient, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    # given a submission waiting for review
    sid, rid = waiting_for_review(server, session_factory, engine)
    with engine.connect() as conn:
        own = conn.execute(
            sa.text("SELECT user_id FROM submissions WHERE id = :id"), {"id": sid}
        ).scalar_one()
    with session_factory.begin() as session:
        learner = make_user(session)
        gone = make_user(session, role=UserRole.ADMIN, deleted=True)
        staff = make_user(session, role=UserRole.INSTRUCTOR)
    refused = {
        learner: "is a learner",
        own: "is the submission's own learner",
        gone: "is deleted",
        uuid.uuid4(): "no user",
    }
    before = written(engine, sid)
    body = callback(sid, rid, "review", {"overallScore": 6.3})
    for who, why in refused.items():
        # when a review naming them is posted, signed
        body["data"]["reviewerId"] = str(who)
        answer = server.post(body)
        # then 422 names the field and why, and nothing is written: no event, no inbox row
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "data.reviewerId"
        assert why in answer.json()["error"] and str(who) in answer.json()["error"]
        assert written(engine, sid) == before
    # and the same event corrected to name a member of staff is applied, rounded once:
    # 0.4 * 6.0 + 0.6 * 6.3 = 6.18 -> 6.0, the reviewer's 6.3 kept
    body["data"]["reviewerId"] = str(staff)
    assert server.post(body).json() == {"status": "applied"}
    status, score, reviewer, *_, result = written(engine, sid)
    assert (status, str(score), reviewer) == ("completed", "6.0", staff)
    assert (result["human"]["overallScore"], result["final"]["gradingMode"]) == (6.3, "hybrid")
    # and its replay is a duplicate
    assert server.post(body).json() == {"status": "duplicate"}


def test_a_score_finer_than_one_decimal_is_refused_naming_the_field(
    server: ServeClient, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    sid, rid = waiting_for_review(server, session_factory, engine)
    with session_factory.begin() as session:
        staff = make_user(session, role=UserRole.INSTRUCTOR)
    before = written(engine, sid)
    answer = server.post(
        callback(sid, rid, "review", {"reviewerId": str(staff), "overallScore": 6.35})
    )
    assert answer.status_code == 422 and answer.json()["field"] == "data.overallScore"
    assert "1 decimal place" in answer.json()["error"]
    assert written(engine, sid) == before
