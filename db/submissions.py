"""Named queries on submissions and their append-only event log.

Every status change is one statement: a guarded UPDATE (``WHERE status IN
allowed_sources``) and the INSERT of its event, in the caller's transaction. A
transition that is not allowed changes nothing, because duplicate and late deliveries
are normal.
"""

from __future__ import annotations

import functools
import itertools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Submission, SubmissionEvent
from db.statements import Tx, column_value, execute, jsonb
from domain.enums import SubmissionStatus
from domain.events import TRANSITION_EVENT, EventKind
from domain.states import allowed_sources, can_transition

# now() is the transaction's start: several events of one transaction would tie and the
# timeline would lose its order, so events take the wall clock of their own insert.
EVENT_TIME = sa.func.clock_timestamp()

_EVENT_APPEND = (
    "INSERT INTO submission_events (submission_id, kind, data, occurred_at) "
    "VALUES (%(id)s, %(kind)s, %(data)s, clock_timestamp())"
)
_SUBMISSION_COLUMNS = frozenset(column.name for column in Submission.__table__.columns)
_NAME = re.compile(r"[a-z][a-z_]{0,49}")


def submission_event_append(
    session: Tx, *, submission_id: uuid.UUID, kind: EventKind, data: Mapping[str, Any] | None = None
) -> None:
    execute(
        session,
        _EVENT_APPEND,
        {"id": submission_id, "kind": kind, "data": jsonb(data)},
    )


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
    walk = Walk.of(steps, values)
    moved = execute(session, f"WITH {walk.sql} SELECT id FROM moved", walk.params(id)).fetchone()
    return moved is not None


@dataclass(frozen=True)
class Walk:
    """A walk as SQL: ``sql`` defines the CTEs ``moved`` (the submission, if it moved) and
    ``walked`` (its events), for statements that write more in the same round trip
    (db/completion.py); ``params(id)`` are its parameters."""

    sql: str
    steps: Sequence[Step]
    values: Mapping[str, Any]

    @classmethod
    def of(cls, steps: Sequence[Step], values: Mapping[str, Any] | None = None) -> Walk:
        """ValueError for a walk the state map forbids."""
        if not steps:
            raise ValueError("a walk takes at least one step")
        for before, after in itertools.pairwise(steps):
            if not can_transition(before.to, after.to):
                raise ValueError(f"a walk cannot go {before.to} -> {after.to}")
        kinds = tuple(step.kind or TRANSITION_EVENT[step.to] for step in steps)
        sql = _walk_sql(steps[0].to, steps[-1].to, kinds, tuple(values or ()))
        return cls(sql, steps, dict(values or {}))

    def params(self, id: uuid.UUID) -> dict[str, Any]:
        params: dict[str, Any] = {"id": id}
        for n, step in enumerate(self.steps):
            params[f"e{n}"] = jsonb(step.data)
        for column, value in self.values.items():
            params[f"v_{column}"] = column_value(value)
        return params


@functools.cache
def _walk_sql(
    first: SubmissionStatus,
    last: SubmissionStatus,
    kinds: tuple[str, ...],
    columns: tuple[str, ...],
) -> str:
    # Kinds and states are our own names, written into the text: the statement for each
    # walk is then one fixed text, prepared once per connection.
    for name in kinds:
        if not _NAME.fullmatch(name):
            raise ValueError(f"event kind {name!r} is not a plain name")
    unknown = set(columns) - _SUBMISSION_COLUMNS
    if unknown:
        raise ValueError(f"not columns of submissions: {sorted(unknown)}")
    sources = ", ".join(f"'{source.value}'" for source in sorted(allowed_sources(first)))
    sets = "".join(f", {column} = %(v_{column})s" for column in columns)
    events = ", ".join(f"({n}, '{kind}', %(e{n})s::jsonb)" for n, kind in enumerate(kinds))
    return f"""
        moved AS (
            UPDATE submissions SET status = '{last.value}', updated_at = now(){sets}
            WHERE id = %(id)s AND status IN ({sources})
            RETURNING id, user_id, skill
        ),
        walked AS (
            INSERT INTO submission_events (submission_id, kind, data, occurred_at)
            -- One statement inserts them all: the step number keeps their times apart,
            -- so the timeline keeps the walk's order.
            SELECT moved.id, step.kind, step.data,
                   clock_timestamp() + step.n * interval '1 microsecond'
            FROM moved, (VALUES {events}) AS step(n, kind, data)
            RETURNING submission_id
        )"""


def submission_events_recent(
    session: Session, *, submission_id: uuid.UUID, limit: int | None = 50
) -> list[SubmissionEvent]:
    """The submission's events oldest first: the last ``limit`` of them, or all with None.

    event_id breaks ties between events of the same instant, so the order is stable.
    """
    newest = (
        sa.select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission_id)
        .order_by(SubmissionEvent.occurred_at.desc(), SubmissionEvent.event_id.desc())
        .limit(limit)
        .subquery()
    )
    event = sa.orm.aliased(SubmissionEvent, newest)
    rows = session.execute(sa.select(event).order_by(event.occurred_at, event.event_id)).scalars()
    return list(rows)
