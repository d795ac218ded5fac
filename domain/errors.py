"""One root exception; workers decide retry versus fail from the class, never the text."""

from __future__ import annotations


class VstepGradingError(Exception):
    """A grading operation failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class InvalidInput(VstepGradingError):
    """The input is malformed; retrying cannot help."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class NotFound(VstepGradingError):
    """The referenced row does not exist."""


class IntakeConflict(VstepGradingError):
    """The request id is already used by a different submission."""


class TransientError(VstepGradingError):
    """A temporary failure (connection loss, timeout); the work may be retried."""


class ConstraintViolation(VstepGradingError):
    """A database constraint refused the write."""

    def __init__(self, constraint: str, message: str | None = None) -> None:
        self.constraint = constraint
        super().__init__(message or f"constraint {constraint} violated")
