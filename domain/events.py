"""The kinds of ``submission_events`` rows: what happened to a submission, and who says so.

Every event our code appends carries one of these kinds (``submission_events.kind``,
``varchar(50)``). The log is read by people (``submission show``, ``review show``), by
the scheduler (the stall duty counts ``redispatched`` and looks for ``grader_requested``)
and by the review queue (the age of ``review_requested``), so a kind's name is part of
the contract: add kinds, never rename one. docs/grading-pipeline.md#event-kinds lists
them with the data each carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from domain.enums import SubmissionStatus


class EventKind(StrEnum):
    """What happened to a submission; the comment above each member says who writes it, when."""

    # Intake (db/intake.py, db/exam_intake.py; other languages: docs/producer-contract.md):
    # the submission was written, status pending. The first event of every submission.
    SUBMITTED = "submitted"
    # Relay (db/outbox.py): its grading.request is on the broker; pending -> queued.
    QUEUED = "queued"
    # Worker (workers/grading.py, db/results.py): a worker took the message or a result
    # arrived; queued|retrying -> processing. Their count is the attempts made.
    PROCESSING = "processing"
    # Result path (db/results.py): final score and band; processing|review_pending -> completed.
    COMPLETED = "completed"
    # Result path: confidence too low, a spot check or a cheating signal sent it to a
    # reviewer, with its priority; processing -> review_pending.
    REVIEW_REQUESTED = "review_requested"
    # Result path: a grader's retryable error; processing -> error (retrying follows at once).
    ERROR = "error"
    # Result path: the retry is scheduled (attempt, notBefore, outboxId); error -> retrying.
    RETRYING = "retrying"
    # Anyone who ends a submission: the worker or result path (BAD_INPUT, retries spent),
    # the relay (a poison outbox row), the timeout duty (TIMEOUT), the stall duty
    # (STALLED). Carries failureReason, attemptsMade, lastError.
    FAILED = "failed"
    # Operator (db/submission_retry.py, db/outbox_ops.py): failed -> pending, or a stuck
    # submission sent again; says who (by) and why (note).
    OPERATOR_RETRIED = "operator_retried"
    # Result path: a grader's progress callback; no state change.
    PROGRESS = "progress"
    # Result path: a human review was merged (human and final score, mode); completed follows.
    REVIEWED = "reviewed"
    # Result path: a confident result drawn for review (SPOT_CHECK_RATE), beside review_requested.
    SPOT_CHECK = "spot_check"
    # Result path: a result came after the submission failed on its deadline; stored
    # with is_late, status and progress untouched.
    LATE_RESULT = "late_result"
    # Result path: a result for a request that is not the submission's current one (409).
    STALE_RESULT = "stale_result"
    # Result path: a result that changes nothing (the submission is final, or not
    # waiting for that kind of result); the reason says which.
    RESULT_IGNORED = "result_ignored"
    # Worker (workers/grading.py): an external grader accepted the request; the
    # submission waits in processing for its callback.
    GRADER_REQUESTED = "grader_requested"
    # Worker: a message that changes nothing (submission deleted, past its deadline).
    GRADING_SKIPPED = "grading_skipped"
    # Worker: a grading.request of an earlier request id of the submission, left alone.
    STALE_REQUEST = "stale_request"
    # Stall duty (workers/duties/stalls.py): the broker lost the message; a new
    # grading.request row for the same request.
    REDISPATCHED = "redispatched"
    # Relay (workers/relay.py): the submission's outbox row failed (poison, attempts spent).
    OUTBOX_FAILED = "outbox_failed"
    # Operator (db/outbox_ops.py, ``outbox retry``): a failed outbox row back to pending.
    OUTBOX_RETRIED = "outbox_retried"


# The kind each transition appends, by the state it enters (db/submissions.py writes it).
TRANSITION_EVENT: Mapping[SubmissionStatus, EventKind] = MappingProxyType(
    {
        # Only an operator's retry enters pending again (intake inserts it).
        SubmissionStatus.PENDING: EventKind.OPERATOR_RETRIED,
        SubmissionStatus.QUEUED: EventKind.QUEUED,
        SubmissionStatus.PROCESSING: EventKind.PROCESSING,
        SubmissionStatus.COMPLETED: EventKind.COMPLETED,
        SubmissionStatus.REVIEW_PENDING: EventKind.REVIEW_REQUESTED,
        SubmissionStatus.ERROR: EventKind.ERROR,
        SubmissionStatus.RETRYING: EventKind.RETRYING,
        SubmissionStatus.FAILED: EventKind.FAILED,
    }
)
