"""Old rows deleted a batch at a time (the retention duty), each batch a short transaction.

Every purge is a named statement of its table family's module that takes the same three
parameters: ``older_than`` (an interval), ``limit`` (NULL: no limit) and ``now`` (NULL:
the database's clock). Rows another transaction holds are skipped (SKIP LOCKED): the
next batch takes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from db.statements import Sql, Tx, execute


def purge_batch(
    session: Tx,
    statement: Sql,
    *,
    older_than: timedelta,
    limit: int | None,
    now: datetime | None = None,
) -> int:
    """Run the purge ``statement``; how many rows went."""
    params = {"older_than": older_than, "limit": limit, "now": now}
    return execute(session, statement, params).rowcount
