"""Callbacks as external graders and reviewers send them, and a writing submission for
them to answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from tests.factories import make_question, make_user, valid_answer

CRITERIA = ("taskFulfillment", "organization", "vocabulary", "grammar")


def writing_submission(
    session_factory: sessionmaker[Session],
    engine: Engine | None,
    *,
    status: str | None = "processing",
) -> tuple[uuid.UUID, uuid.UUID]:
    """A writing submission through intake, then moved to ``status`` (None: left pending);
    (submission id, request id)."""
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=QuestionFormat.WRITING_TASK_1)
    intake = submit_in_new_transaction(
        session_factory,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question_id,
        answer=valid_answer(QuestionFormat.WRITING_TASK_1),
    )
    if status is not None:
        assert engine is not None
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE submissions SET status = CAST(:s AS submission_status) WHERE id = :id"
                ),
                {"s": status, "id": intake.submission_id},
            )
    return intake.submission_id, intake.request_id


def callback(
    sid: uuid.UUID, request_id: uuid.UUID, kind: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "eventId": str(uuid.uuid4()),
        "requestId": str(request_id),
        "submissionId": str(sid),
        "kind": kind,
        "occurredAt": datetime.now(UTC).isoformat(),
        "data": data,
    }


def completed(
    sid: uuid.UUID, rid: uuid.UUID, *, score: float = 7.5, confidence: int = 95
) -> dict[str, Any]:
    return callback(
        sid,
        rid,
        "completed",
        {
            "result": {
                "overallScore": score,
                "band": "B2" if 6 <= score < 8.5 else None,
                "criteriaScores": {name: {"score": score, "comment": "ok"} for name in CRITERIA},
                "feedback": {"strengths": ["clear"], "weaknesses": [], "suggestions": []},
                "confidence": confidence,
            }
        },
    )


def reviewed(
    sid: uuid.UUID, rid: uuid.UUID, *, score: float, reviewer: uuid.UUID
) -> dict[str, Any]:
    return callback(
        sid, rid, "review", {"reviewerId": str(reviewer), "overallScore": score, "comment": "ok"}
    )
