"""What a grading request becomes, and where it came from: the worker's plain records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    # A transient grading failure was recorded; the message is to be retried with backoff.
    RETRY = "retry"
    # Graded, and waiting for a person (low confidence, a spot check, a cheating signal).
    REVIEW = "review_pending"
    SKIPPED = "skipped"
    NOT_FOUND = "not_found"
    # Handed to the external AI grader; its result comes back as a callback.
    DISPATCHED = "dispatched"


@dataclass(frozen=True)
class Graded:
    """What became of a grading request, and (for RETRY) how long the retry waits."""

    outcome: Outcome
    # From the database clock, as the retrying event's notBefore says: the backoff or
    # the grader's Retry-After, capped, never past the deadline.
    retry_in_seconds: float | None = None


@dataclass(frozen=True)
class Delivery:
    """Where a grading request came from, and the retry policy it is graded under.

    How many failures came before is not the message's to say: the database counts them
    (the submission's retry budget, read under its row lock; domain/retries.py), so a
    redispatched or a lost message neither resets nor doubles it.
    """

    message_id: str
    max_retries: int
    worker_id: str
    # The retries' backoff (GRADING_RETRY_BASE_SECONDS, GRADING_RETRY_CAP_SECONDS).
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0
