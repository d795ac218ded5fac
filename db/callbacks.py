"""Named queries on processed_callbacks, the inbox that makes every callback apply once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.purge import purge_batch
from db.statements import Sql, Tx, execute

CALLBACKS_PURGE = Sql("""
    DELETE FROM processed_callbacks
    WHERE event_id IN (
        SELECT c.event_id FROM processed_callbacks c
        WHERE c.processed_at < coalesce(CAST(%(now)s AS timestamptz), now())
                               - CAST(%(older_than)s AS interval)
        LIMIT CAST(%(limit)s AS bigint)
        FOR UPDATE SKIP LOCKED
    )
""")
# Each callback with the events that carry its eventId: their kinds (oldest first), the
# callback's kind and the door it came through. Every filter is optional (NULL: any).
CALLBACKS_LIST = Sql("""
    SELECT c.event_id, c.request_id, c.submission_id, c.processed_at,
           effects.kinds, effects.kind, effects.via
    FROM processed_callbacks c
    LEFT JOIN LATERAL (
        SELECT array_agg(e.kind ORDER BY e.occurred_at) AS kinds,
               min(e.data ->> 'callbackKind') AS kind,
               min(e.data ->> 'via') AS via
        FROM submission_events e
        WHERE e.submission_id = c.submission_id AND e.data ->> 'eventId' = c.event_id::text
    ) effects ON true
    WHERE (CAST(%(submission_id)s AS uuid) IS NULL OR c.submission_id = %(submission_id)s)
      AND (CAST(%(kind)s AS text) IS NULL OR effects.kind = %(kind)s)
      AND (CAST(%(since)s AS interval) IS NULL
           OR c.processed_at >= coalesce(CAST(%(now)s AS timestamptz), now()) - %(since)s)
    ORDER BY c.processed_at DESC, c.event_id
    LIMIT %(limit)s
""")


def processed_callbacks_purge(
    session: Tx, *, older_than: timedelta, limit: int, now: datetime | None = None
) -> int:
    """Forget up to ``limit`` callbacks processed more than ``older_than`` ago; how many.

    A replay older than the retention would be applied again, so the retention must
    outlast any sender's retry window (30 days by default).
    """
    return purge_batch(session, CALLBACKS_PURGE, older_than=older_than, limit=limit, now=now)


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
    session: Tx,
    *,
    submission_id: uuid.UUID | None = None,
    kind: str | None = None,
    since: timedelta | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> list[CallbackRecord]:
    """Processed callbacks newest first, each with its kind, door and the events it wrote."""
    params = {
        "submission_id": submission_id,
        "kind": kind,
        "since": since,
        "limit": limit,
        "now": now,
    }
    return [
        CallbackRecord(
            event_id=row.event_id,
            request_id=row.request_id,
            submission_id=row.submission_id,
            processed_at=row.processed_at,
            kind=row.kind,
            via=row.via,
            effects=list(row.kinds or []),
        )
        for row in execute(session, CALLBACKS_LIST, params)
    ]
