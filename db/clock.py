"""The one clock: times compared with each other come from the database, never a host.

Deadlines, event times, ``completed_at`` and every decision the scheduler takes are
compared inside PostgreSQL, so relays, workers and schedulers on hosts whose clocks
disagree still agree. Tests pass an explicit ``now`` instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session


def clock_or_now(now: datetime | None) -> sa.ColumnElement[datetime]:
    """The given time (tests) or the database's clock, as an SQL expression."""
    return sa.literal(now, sa.DateTime(timezone=True)) if now else sa.func.now()


def database_now(session: Session, now: datetime | None = None) -> datetime:
    """The given time, or the database's clock read now (the transaction's start)."""
    if now is not None:
        return now
    return session.execute(sa.select(sa.func.now())).scalar_one().astimezone(UTC)


def database_ping(session: Session) -> None:
    """A round trip that raises DatabaseUnavailable while the server is away."""
    session.execute(sa.select(1))
