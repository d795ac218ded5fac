"""Named queries on submissions and their append-only event log.

Every status change is one statement (``WALK``): a guarded UPDATE (``WHERE status =
ANY(allowed sources)``) and the INSERT of its events, in the caller's transaction. A
transition that is not allowed changes nothing, because duplicate and late deliveries
are normal. Completing a submission writes more in the same statement, keyed on the
walk (db/completion.py).
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from psycopg.types.json import Jsonb

from db.statements import Sql, Tx, execute, jsonb
from domain.enums import SubmissionStatus
from domain.events import TRANSITION_EVENT, EventKind
from domain.states import allowed_sources, can_transition

# now() is the transaction's start: several events of one transaction would tie and the
# timeline would lose its order, so events take the wall clock of their own insert
# (clock_timestamp()).
EVENT_APPEND = Sql("""
    INSERT INTO submission_events (submission_id, kind, data, occurred_at)
    VALUES (%(id)s, %(kind)s, %(data)s, clock_timestamp())
""")

# A walk: the submission moves from one of ``sources`` to ``to``, sets the columns its
# ``values`` document names (and only those), and gets one event per step; each later
# CTE writes only when the submission moved. A completion (db/completion.py) also
# stores the result document (``result``), counts ``score`` once in user_skill_scores
# and moves the learner's progress and goals row it locked (``p_*``, ``g_band``); a plain
# walk passes NULL for all of them and they write nothing.
WALK = Sql("""
    WITH given AS (SELECT CAST(%(values)s AS jsonb) AS v),
    moved AS (
        UPDATE submissions s
        SET status = CAST(%(to)s AS submission_status), updated_at = now(),
            score = CASE WHEN given.v ? 'score' THEN r.score ELSE s.score END,
            band = CASE WHEN given.v ? 'band' THEN r.band ELSE s.band END,
            confidence = CASE WHEN given.v ? 'confidence' THEN r.confidence
                              ELSE s.confidence END,
            is_late = CASE WHEN given.v ? 'is_late' THEN r.is_late ELSE s.is_late END,
            review_priority = CASE WHEN given.v ? 'review_priority' THEN r.review_priority
                                   ELSE s.review_priority END,
            reviewer_id = CASE WHEN given.v ? 'reviewer_id' THEN r.reviewer_id
                               ELSE s.reviewer_id END,
            grading_mode = CASE WHEN given.v ? 'grading_mode' THEN r.grading_mode
                                ELSE s.grading_mode END,
            audit_flag = CASE WHEN given.v ? 'audit_flag' THEN r.audit_flag
                              ELSE s.audit_flag END,
            deadline = CASE WHEN given.v ? 'deadline' THEN r.deadline ELSE s.deadline END,
            completed_at = CASE WHEN given.v ? 'completed_at' THEN r.completed_at
                                ELSE s.completed_at END
        FROM given, jsonb_populate_record(CAST(NULL AS submissions), given.v) AS r
        WHERE s.id = %(id)s AND s.status = ANY(CAST(%(sources)s AS submission_status[]))
        RETURNING s.id, s.user_id, s.skill
    ),
    walked AS (
        INSERT INTO submission_events (submission_id, kind, data, occurred_at)
        -- One statement inserts them all: the step number keeps their times apart, so
        -- the timeline keeps the walk's order.
        SELECT moved.id, step.doc ->> 'kind', nullif(step.doc -> 'data', 'null'),
               clock_timestamp() + (step.n - 1) * interval '1 microsecond'
        FROM moved,
             jsonb_array_elements(CAST(%(steps)s AS jsonb)) WITH ORDINALITY AS step(doc, n)
        RETURNING submission_id
    ),
    stored AS (
        UPDATE submission_details SET result = CAST(%(result)s AS jsonb), updated_at = now()
        WHERE submission_id IN (SELECT id FROM moved)
          AND CAST(%(result)s AS jsonb) IS NOT NULL
    ),
    scored AS (
        INSERT INTO user_skill_scores (user_id, skill, submission_id, score, created_at)
        SELECT moved.user_id, moved.skill, moved.id, CAST(%(score)s AS numeric),
               clock_timestamp()
        FROM moved
        WHERE CAST(%(score)s AS numeric) IS NOT NULL
        ON CONFLICT (submission_id) DO NOTHING
        RETURNING id
    ),
    progressed AS (
        UPDATE user_progress
        SET current_level = %(p_level)s, scaffold_level = %(p_scaffold)s,
            streak_count = %(p_streak_count)s, streak_direction = %(p_streak_direction)s,
            attempt_count = %(p_attempts)s, updated_at = now()
        WHERE id = %(p_id)s AND EXISTS (SELECT 1 FROM scored)
    ),
    goals AS (
        UPDATE user_goals SET current_estimated_band = %(g_band)s, updated_at = now()
        WHERE user_id = %(p_user_id)s AND CAST(%(has_goals)s AS boolean)
          AND EXISTS (SELECT 1 FROM scored)
    )
    SELECT id FROM moved
""")
# The columns a walk may set (the CASEs of WALK).
WALK_COLUMNS = frozenset(
    {
        "score",
        "band",
        "confidence",
        "is_late",
        "review_priority",
        "reviewer_id",
        "grading_mode",
        "audit_flag",
        "deadline",
        "completed_at",
    }
)
# The completion's parameters, NULL for a plain walk.
NOT_COMPLETING: Mapping[str, Any] = {
    "result": None,
    "score": None,
    "p_id": None,
    "p_user_id": None,
    "p_level": None,
    "p_scaffold": None,
    "p_streak_count": None,
    "p_streak_direction": None,
    "p_attempts": None,
    "g_band": None,
    "has_goals": False,
}

EVENTS_RECENT = Sql("""
    SELECT event_id, submission_id, kind, occurred_at, data FROM (
        SELECT event_id, submission_id, kind, occurred_at, data FROM submission_events
        WHERE submission_id = %(submission_id)s
        ORDER BY occurred_at DESC, event_id DESC
        LIMIT %(limit)s
    ) newest
    ORDER BY occurred_at, event_id
""")


@dataclass(frozen=True)
class EventRecord:
    """One event of a submission's timeline."""

    event_id: uuid.UUID
    submission_id: uuid.UUID
    kind: str
    occurred_at: datetime
    data: dict[str, Any] | None


def submission_event_append(
    session: Tx, *, submission_id: uuid.UUID, kind: EventKind, data: Mapping[str, Any] | None = None
) -> None:
    execute(session, EVENT_APPEND, {"id": submission_id, "kind": kind, "data": jsonb(data)})


@dataclass(frozen=True)
class Step:
    """One transition of a walk: the state entered, and its event."""

    to: SubmissionStatus
    data: Mapping[str, Any] | None = None
    # The event kind, when not the transition's own (TRANSITION_EVENT).
    kind: EventKind | None = None


def submission_transition(
    session: Tx,
    *,
    id: uuid.UUID,
    to: SubmissionStatus,
    data: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    event_kind: EventKind | None = None,
) -> bool:
    """Move one submission to ``to`` if its state allows; True when it moved."""
    return submission_walk(session, id=id, steps=[Step(to, data, event_kind)], values=values)


def submission_walk(
    session: Tx,
    *,
    id: uuid.UUID,
    steps: Sequence[Step],
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Take a submission through ``steps`` (e.g. queued -> processing -> completed) and
    append each step's event, in ONE statement; True when it moved.

    The guard is the first step's: every later step must be allowed from the one before,
    so the walk moves exactly when the transitions one by one would all have moved.
    ``values`` are further columns set on the submission at the end of the walk.
    """
    if not steps:
        return True
    params = {**walk_params(id, steps, values), **NOT_COMPLETING}
    return execute(session, WALK, params).fetchone() is not None


def walk_params(
    id: uuid.UUID, steps: Sequence[Step], values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """WALK's parameters of the walk itself; ValueError for a walk the state map forbids."""
    if not steps:
        raise ValueError("a walk takes at least one step")
    for before, after in itertools.pairwise(steps):
        if not can_transition(before.to, after.to):
            raise ValueError(f"a walk cannot go {before.to} -> {after.to}")
    unknown = set(values or ()) - WALK_COLUMNS
    if unknown:
        raise ValueError(f"not columns a walk sets: {sorted(unknown)}")
    # One document of the steps and a cached array literal of the sources: psycopg dumps
    # a Python list element by element on every call, which the grading path measured.
    steps_doc = [
        {"kind": str(step.kind or TRANSITION_EVENT[step.to]), "data": step.data} for step in steps
    ]
    return {
        "id": id,
        "to": steps[-1].to.value,
        "sources": sources_literal(steps[0].to),
        "steps": Jsonb(steps_doc),
        "values": jsonb({k: _json_value(v) for k, v in values.items()}) if values else None,
    }


@functools.cache
def sources_literal(target: SubmissionStatus) -> str:
    """The statuses allowed into ``target``, as a PostgreSQL array literal ({a,b})."""
    return "{" + ",".join(sorted(source.value for source in allowed_sources(target))) + "}"


def _json_value(value: Any) -> Any:
    """A column value as the ``values`` document carries it; PostgreSQL reads it back
    with the column's own input function (jsonb_populate_record)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"no column value for a {type(value).__name__}")


def submission_events_recent(
    session: Tx, *, submission_id: uuid.UUID, limit: int | None = 50
) -> list[EventRecord]:
    """The submission's events oldest first: the last ``limit`` of them, or all with None.

    event_id breaks ties between events of the same instant, so the order is stable.
    """
    rows = execute(session, EVENTS_RECENT, {"submission_id": submission_id, "limit": limit})
    return [EventRecord(**row._asdict()) for row in rows]
