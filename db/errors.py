"""The one boundary where driver errors become domain errors (``domain/errors.py``).

An engine event translates every error SQLAlchemy raises, at connect time too, so code
above ``db/`` never sees psycopg or SQLAlchemy exceptions; the original stays the
``__cause__``. The relay's LISTEN connection, which bypasses SQLAlchemy, calls
``translate`` itself.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

from domain.errors import (
    ConstraintViolation,
    DatabaseError,
    DatabaseUnavailable,
    TransactionConflict,
    VstepGradingError,
)

# SQLSTATEs of a statement that ran out of time or could not take its lock: try again.
_TIMEOUT_STATES = frozenset({"57014", "55P03"})
# Classes of a server that is going away or cannot take more work right now.
_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})


def first_line(exc: BaseException) -> str:
    """The first line of what the driver said, for one-line error messages."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate(exc: BaseException, *, disconnected: bool = False) -> VstepGradingError:
    """The domain error for a driver error (``exc`` is psycopg's or SQLAlchemy's)."""
    orig = getattr(exc, "orig", None) or exc
    line = first_line(orig)
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(orig, psycopg.IntegrityError) or (sqlstate or "").startswith("23"):
        diag = getattr(orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None) or "unknown"
        return ConstraintViolation(constraint, line)
    if sqlstate is not None and (sqlstate.startswith("40") or sqlstate in _TIMEOUT_STATES):
        return TransactionConflict(line)
    if disconnected or (
        sqlstate is None and isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)
    ):
        return DatabaseUnavailable(line)
    if sqlstate is not None and sqlstate[:2] in _UNAVAILABLE_CLASSES:
        return DatabaseUnavailable(line)
    return DatabaseError(line, sqlstate=sqlstate)


def _on_error(context: ExceptionContext) -> None:
    if context.is_pre_ping:
        # The pool is checking a pooled connection: it reconnects by itself.
        return
    raise translate(context.original_exception, disconnected=context.is_disconnect) from (
        context.sqlalchemy_exception or context.original_exception
    )


def install_error_boundary(engine: Engine) -> None:
    if not event.contains(engine, "handle_error", _on_error):
        event.listen(engine, "handle_error", _on_error)
