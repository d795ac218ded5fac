"""The one clock: times compared with each other come from the database, never a host.

Deadlines, event times, ``completed_at`` and every decision the scheduler takes are
compared inside PostgreSQL, so relays, workers and schedulers on hosts whose clocks
disagree still agree. Tests pass an explicit ``now`` instead: every named statement that
needs the time takes ``coalesce(CAST(%(now)s AS timestamptz), now())``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from db.statements import Sql, Tx, execute

# The transaction's start, as the database's clock says.
NOW = Sql("SELECT now() AS now")
PING = Sql("SELECT 1 AS ok")


def database_now(session: Tx, now: datetime | None = None) -> datetime:
    """The given time, or the database's clock read now (the transaction's start)."""
    if now is not None:
        return now
    row = execute(session, NOW, {}).fetchone()
    assert row is not None
    moment: datetime = row.now
    return moment.astimezone(UTC)


def database_ping(session: Tx) -> None:
    """A round trip that raises DatabaseUnavailable while the server is away."""
    execute(session, PING, {})
