"""Named queries on processed_callbacks, the inbox that makes every callback apply once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.models import ProcessedCallback, SubmissionEvent
from db.purge import purge_batch


def processed_callbacks_purge(
    session: Session, *, older_than: timedelta, limit: int, now: datetime | None = None
) -> int:
    """Forget up to ``limit`` callbacks processed more than ``older_than`` ago; how many.

    A replay older than the retention would be applied again, so the retention must
    outlast any sender's retry window (30 days by default).
    """
    old = ProcessedCallback.processed_at < clock_or_now(now) - older_than
    return purge_batch(session, ProcessedCallback.event_id, old, limit)


@dataclass(frozen=True)
class CallbackRecord:
    """A processed callback and what it did: the events that carry its eventId."""

    event_id: uuid.UUID
    request_id: uuid.UUID
    submission_id: uuid.UUID
    processed_at: datetime
    kind: str | None
    via: str | None
    effects: list[str]


def callbacks_list(
    session: Session,
    *,
    submission_id: uuid.UUID | None = None,
    kind: str | None = None,
    since: timedelta | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> list[CallbackRecord]:
    """Processed callbacks newest first, each with its kind, door and the events it wrote."""
    effects = (
        sa.select(
            sa.func.array_agg(
                aggregate_order_by(SubmissionEvent.kind, SubmissionEvent.occurred_at)
            ).label("kinds"),
            sa.func.min(SubmissionEvent.data["callbackKind"].astext).label("kind"),
            sa.func.min(SubmissionEvent.data["via"].astext).label("via"),
        )
        .where(
            SubmissionEvent.submission_id == ProcessedCallback.submission_id,
            SubmissionEvent.data["eventId"].astext == sa.cast(ProcessedCallback.event_id, sa.Text),
        )
        .lateral("effects")
    )
    query = (
        sa.select(ProcessedCallback, effects.c.kinds, effects.c.kind, effects.c.via)
        .outerjoin(effects, sa.true())
        .order_by(ProcessedCallback.processed_at.desc(), ProcessedCallback.event_id)
        .limit(limit)
    )
    if submission_id is not None:
        query = query.where(ProcessedCallback.submission_id == submission_id)
    if kind is not None:
        query = query.where(effects.c.kind == kind)
    if since is not None:
        query = query.where(ProcessedCallback.processed_at >= clock_or_now(now) - since)
    return [
        CallbackRecord(
            event_id=row.ProcessedCallback.event_id,
            request_id=row.ProcessedCallback.request_id,
            submission_id=row.ProcessedCallback.submission_id,
            processed_at=row.ProcessedCallback.processed_at,
            kind=row.kind,
            via=row.via,
            effects=list(row.kinds or []),
        )
        for row in session.execute(query)
    ]
