"""What the tests read back after grading: statuses, events per submission, progress."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(
            str(s) for s in conn.execute(sa.text("SELECT status FROM submissions")).scalars()
        )


def timeline(engine: Engine, submission_id: uuid.UUID) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT kind FROM submission_events WHERE submission_id = :id "
                    "ORDER BY occurred_at, event_id"
                ),
                {"id": submission_id},
            ).scalars()
        )


def last_event_data(engine: Engine, submission_id: uuid.UUID, kind: str) -> dict[str, Any]:
    with engine.connect() as conn:
        data = conn.execute(
            sa.text(
                "SELECT data FROM submission_events WHERE submission_id = :id AND kind = :kind "
                "ORDER BY occurred_at DESC LIMIT 1"
            ),
            {"id": submission_id, "kind": kind},
        ).scalar_one()
    assert isinstance(data, dict)
    return data


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def written(engine: Engine, sid: uuid.UUID) -> tuple[Any, ...]:
    """A submission as a refused review or claim must leave it: its state, score,
    reviewer, claim, counts of events and processed callbacks, and its result."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT s.status::text, s.score, s.reviewer_id, s.claimed_by, "
                    "(SELECT count(*) FROM submission_events e WHERE e.submission_id = s.id), "
                    "(SELECT count(*) FROM processed_callbacks c WHERE c.submission_id = s.id), "
                    "d.result FROM submissions s JOIN submission_details d "
                    "ON d.submission_id = s.id WHERE s.id = :id"
                ),
                {"id": sid},
            ).one()
        )
