"""Fast bulk seeding of pending submissions with their outbox rows, in plain SQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.messages import MESSAGE_TYPE_GRADING_REQUEST

QUESTION_CONTENT = {
    "passage": "A short passage.",
    "items": [{"number": n, "prompt": f"Q{n}", "options": {"A": "a", "B": "b"}} for n in (1, 2)],
}
ANSWER_KEY = {"correctAnswers": {"1": "A", "2": "B"}}


def seed_user_and_question(engine: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.text(
                "INSERT INTO users (email, password_hash) "
                "VALUES ('learner-' || gen_random_uuid() || '@example.org', 'x') RETURNING id"
            )
        ).scalar_one()
        question_id = conn.execute(
            sa.text(
                "INSERT INTO questions (skill, level, format, content, answer_key) "
                "VALUES ('reading', 'B1', 'reading_mcq', CAST(:c AS jsonb), CAST(:k AS jsonb)) "
                "RETURNING id"
            ),
            {"c": json.dumps(QUESTION_CONTENT), "k": json.dumps(ANSWER_KEY)},
        ).scalar_one()
    return user_id, question_id


def seed_pending(
    engine: Engine,
    count: int,
    *,
    message_type: str = MESSAGE_TYPE_GRADING_REQUEST,
    payload_override: dict[str, Any] | None = None,
) -> list[uuid.UUID]:
    """``count`` pending submissions, each with details, a submitted event and an outbox row."""
    user_id, question_id = seed_user_and_question(engine)
    with engine.begin() as conn:
        ids = conn.execute(
            sa.text(
                """
                WITH s AS (
                    INSERT INTO submissions (user_id, question_id, skill, request_id, deadline)
                    SELECT :user_id, :question_id, 'reading', gen_random_uuid(),
                           now() + interval '5 minutes'
                    FROM generate_series(1, :count)
                    RETURNING id, user_id, request_id, deadline
                ), d AS (
                    INSERT INTO submission_details (submission_id, answer)
                    SELECT id, '{"answers": {"1": "A", "2": "C"}}'::jsonb FROM s
                ), e AS (
                    INSERT INTO submission_events (submission_id, kind)
                    SELECT id, 'submitted' FROM s
                )
                INSERT INTO outbox (submission_id, aggregate_type, aggregate_id, message_type,
                                    payload, created_at)
                SELECT id, 'submission', id, :message_type,
                       jsonb_build_object(
                           'requestId', request_id, 'submissionId', id, 'userId', user_id,
                           'skill', 'reading', 'attempt', 1,
                           'deadline', to_char(deadline AT TIME ZONE 'UTC',
                                               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                           'traceId', md5(id::text)
                       ) || CAST(:override AS jsonb),
                       clock_timestamp()
                FROM s
                RETURNING id
                """
            ),
            {
                "user_id": user_id,
                "question_id": question_id,
                "count": count,
                "message_type": message_type,
                "override": json.dumps(payload_override or {}),
            },
        ).scalars()
        return list(ids)


def broker_message_ids(redis_url: str, namespace: str, queue: str) -> list[str]:
    """Dramatiq message ids sitting in a Redis queue (one entry per copy enqueued)."""
    client = redis.Redis.from_url(redis_url)
    try:
        raw = client.hvals(f"{namespace}:{queue}.msgs")
    finally:
        client.close()
    return [json.loads(item)["message_id"] for item in raw]


def outbox_status_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status"))
        return {str(status): int(n) for status, n in rows}


def event_counts(engine: Engine, kind: str) -> dict[uuid.UUID, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT submission_id, count(*) FROM submission_events "
                "WHERE kind = :kind GROUP BY submission_id"
            ),
            {"kind": kind},
        )
        return {sid: int(n) for sid, n in rows}
