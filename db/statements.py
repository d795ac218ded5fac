"""Hand-written SQL on the hot path, run on the session's own connection and transaction.

Building and compiling an ORM or Core statement costs more Python than PostgreSQL spends
running it; a fixed SQL text costs neither: SQLAlchemy passes it to psycopg as it is
(``exec_driver_sql``), and psycopg prepares it on the server once it has seen it a few
times. Errors still go through the engine's boundary (``db/errors.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session


def execute(session: Session, sql: str, params: Mapping[str, Any]) -> CursorResult[Any]:
    """Run ``sql`` (psycopg's ``%(name)s`` placeholders) in the session's transaction."""
    return session.connection().exec_driver_sql(sql, dict(params))


def jsonb(value: Mapping[str, Any] | None) -> Jsonb | None:
    """A jsonb parameter (None stays SQL NULL)."""
    return Jsonb(dict(value)) if value is not None else None


def column_value(value: Any) -> Any:
    """A Python value as psycopg sends it: enums by their value, documents as jsonb."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return Jsonb(value)
    if value is None or isinstance(value, str | int | float | Decimal | datetime | uuid.UUID):
        return value
    raise TypeError(f"no SQL parameter for a {type(value).__name__}")
