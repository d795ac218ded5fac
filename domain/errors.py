"""One root exception; workers decide retry versus fail from the class, never the text.

``db/`` turns every driver error into one of these at one boundary (``db/errors.py``),
and the broker side does the same for redis, pika and Dramatiq (``workers/broker.py``),
keeping the original as ``__cause__``.
"""

from __future__ import annotations


class VstepGradingError(Exception):
    """A grading operation failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class InvalidInput(VstepGradingError):
    """The input is malformed; retrying cannot help."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        # What is wrong with the field, without its name (for a caller that renames it).
        self.reason = message
        super().__init__(f"{field}: {message}")


class NotFound(VstepGradingError):
    """The referenced row does not exist."""


class StaleRequest(VstepGradingError):
    """The result answers a request that is no longer the submission's current one."""


class IntakeConflict(VstepGradingError):
    """The request id is already used by a different submission."""


class TransientError(VstepGradingError):
    """A temporary failure (connection loss, timeout); the work may be retried."""


class InfrastructureError(TransientError):
    """The database or the broker failed, not the work: retrying spends no retry budget."""


class DatabaseUnavailable(InfrastructureError):
    """The database does not answer (connection refused or lost, server shutting down)."""


class TransactionConflict(InfrastructureError):
    """The database rolled the transaction back (serialization failure, deadlock, lock or
    statement timeout); the same work may succeed at once when tried again."""


class BrokerUnavailable(InfrastructureError):
    """The message broker does not answer."""


class ConstraintViolation(VstepGradingError):
    """A database constraint refused the write."""

    def __init__(self, constraint: str, message: str | None = None) -> None:
        self.constraint = constraint
        super().__init__(message or f"constraint {constraint} violated")


class DatabaseError(VstepGradingError):
    """The database refused a statement for a reason retrying cannot mend (a bug or bad data)."""

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        self.sqlstate = sqlstate
        super().__init__(message)
