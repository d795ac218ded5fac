"""Named queries on processed_callbacks, the inbox that makes every callback apply once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from db.clock import clock_or_now
from db.models import ProcessedCallback


def processed_callbacks_purge(
    session: Session, *, older_than: timedelta, limit: int, now: datetime | None = None
) -> int:
    """Forget up to ``limit`` callbacks processed more than ``older_than`` ago; how many.

    A replay older than the retention would be applied again, so the retention must
    outlast any sender's retry window (30 days by default).
    """
    batch = (
        sa.select(ProcessedCallback.event_id)
        .where(ProcessedCallback.processed_at < clock_or_now(now) - older_than)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = session.execute(
        sa.delete(ProcessedCallback)
        .where(ProcessedCallback.event_id.in_(batch))
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
