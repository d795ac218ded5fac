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
