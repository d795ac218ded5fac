"""Old rows deleted a batch at a time (the retention duty), each batch a short transaction."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstrumentedAttribute, Session


def purge_batch(
    session: Session, key: InstrumentedAttribute[Any], old: sa.ColumnElement[bool], limit: int
) -> int:
    """Delete up to ``limit`` rows matching ``old``, by their ``key``; how many went.

    Rows another transaction holds are skipped (SKIP LOCKED): the next batch takes them.
    """
    batch = sa.select(key).where(old).limit(limit).with_for_update(skip_locked=True)
    result = session.execute(
        sa.delete(key.class_)
        .where(key.in_(batch.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
