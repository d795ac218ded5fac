"""Why a submission failed: the ``failureReason`` kept on its ``failed`` event."""

from __future__ import annotations

from typing import Final

# The input can never be graded (a poison outbox row, an answer the grader refuses).
BAD_INPUT: Final = "BAD_INPUT"
# Grading failed transiently more often than GRADING_MAX_RETRIES allows.
MAX_RETRIES: Final = "MAX_RETRIES"
# A bug in our code; an operator retries once it is fixed.
INTERNAL_ERROR: Final = "INTERNAL_ERROR"
# The SLA deadline passed before a result (scheduler's timeouts duty).
TIMEOUT: Final = "TIMEOUT"
# Dispatched GRADING_MAX_REDISPATCH times and still no progress (scheduler's stalls duty).
STALLED: Final = "STALLED"
# An external grader said it cannot grade this request (its code and message kept).
GRADER_ERROR: Final = "GRADER_ERROR"

# Every reason we write, for the operators' filters.
FAILURE_REASONS: Final = (
    BAD_INPUT,
    MAX_RETRIES,
    INTERNAL_ERROR,
    TIMEOUT,
    STALLED,
    GRADER_ERROR,
)
