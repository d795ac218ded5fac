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
    IntakeConflict,
    InvalidInput,
    NotFound,
    TransactionConflict,
    VstepGradingError,
)

# SQLSTATEs of a statement that ran out of time or could not take its lock: try again.
_TIMEOUT_STATES = frozenset({"57014", "55P03"})
# Classes of a server that is going away or cannot take more work right now.
_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})


class IntakeRefused(InvalidInput):
    """The intake functions refused a request (migration 0007, docs/producer-contract.md):
    ``refusal`` is the refusal's name, ``field`` what it concerns."""

    def __init__(self, field: str, message: str, refusal: str = "invalid_input") -> None:
        super().__init__(field, message)
        self.refusal = refusal


class ExamRefused(IntakeRefused):
    """The session cannot be submitted (abandoned, completed, its blueprint or a part unusable)."""


# Intake's SQLSTATEs (class VG, migration 0007): the refusal's name is the CONSTRAINT
# field, what it concerns the COLUMN field, the reason the DETAIL.
_REFUSED, _CONFLICT, _NO_SESSION, _EXAM_REFUSED = "VG001", "VG002", "VG003", "VG004"


def _intake_error(sqlstate: str, diag: object, line: str) -> VstepGradingError | None:
    """The domain error of an intake refusal, by its SQLSTATE; None for any other state."""
    refusal = getattr(diag, "constraint_name", None) or "invalid_input"
    field = getattr(diag, "column_name", None) or ""
    reason = getattr(diag, "message_detail", None) or line
    if sqlstate == _REFUSED:
        return IntakeRefused(field, reason, refusal)
    if sqlstate == _EXAM_REFUSED:
        return ExamRefused(field, reason, refusal)
    if sqlstate == _CONFLICT:
        return IntakeConflict(reason)
    if sqlstate == _NO_SESSION:
        return NotFound(reason)
    return None


def first_line(exc: BaseException) -> str:
    """The first line of what the driver said, for one-line error messages."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate(exc: BaseException, *, disconnected: bool = False) -> VstepGradingError:
    """The domain error for a driver error (``exc`` is psycopg's or SQLAlchemy's)."""
    orig = getattr(exc, "orig", None) or exc
    line = first_line(orig)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None and sqlstate.startswith("VG"):
        refused = _intake_error(sqlstate, getattr(orig, "diag", None), line)
        if refused is not None:
            return refused
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
