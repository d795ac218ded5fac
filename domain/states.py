"""Submission and outbox state machines as data (docs/grading-pipeline.md#submission-states).

``db/`` turns a transition into one guarded ``UPDATE ... WHERE status IN
(allowed_sources(target))``; a row in any other state is left alone, because
duplicate and late deliveries are normal and must change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from domain.enums import OutboxStatus, SubmissionStatus

_S = SubmissionStatus

SUBMISSION_TRANSITIONS: Mapping[SubmissionStatus, frozenset[SubmissionStatus]] = MappingProxyType(
    {
        # relay moves it to queued once grading.request is on the broker; scheduler: timeout.
        _S.PENDING: frozenset({_S.QUEUED, _S.FAILED}),
        # worker moves it to processing when it takes the message; scheduler: timeout.
        _S.QUEUED: frozenset({_S.PROCESSING, _S.FAILED}),
        # worker records the outcome (result, review, error; bad input fails); scheduler: timeout.
        _S.PROCESSING: frozenset({_S.COMPLETED, _S.REVIEW_PENDING, _S.ERROR, _S.FAILED}),
        # reviewer callback completes it; it never times out, a person is on it.
        _S.REVIEW_PENDING: frozenset({_S.COMPLETED}),
        # worker schedules a retry for a transient error, or fails it (bad input, retries spent).
        _S.ERROR: frozenset({_S.RETRYING, _S.FAILED}),
        # worker takes the retry up again; scheduler fails it on timeout.
        _S.RETRYING: frozenset({_S.PROCESSING, _S.FAILED}),
        # final: a duplicate result finds no allowed source and changes nothing.
        _S.COMPLETED: frozenset(),
        # final for the pipeline (a late result is stored with is_late, the status stays);
        # only an operator's retry moves it back to pending, with a new outbox row.
        _S.FAILED: frozenset({_S.PENDING}),
    }
)

# No process moves a submission out of these; failed -> pending is an operator's move.
FINAL_STATES: frozenset[SubmissionStatus] = frozenset({_S.COMPLETED, _S.FAILED})

# States the stall duty watches: the broker should be carrying the work, and events
# should keep coming while it does.
STALL_ELIGIBLE: frozenset[SubmissionStatus] = frozenset({_S.QUEUED, _S.PROCESSING, _S.RETRYING})

# States the SLA scheduler may fail once the deadline has passed; review_pending is not one.
TIMEOUT_ELIGIBLE: frozenset[SubmissionStatus] = frozenset(
    {_S.PENDING, _S.QUEUED, _S.PROCESSING, _S.ERROR, _S.RETRYING}
)

_O = OutboxStatus

OUTBOX_TRANSITIONS: Mapping[OutboxStatus, frozenset[OutboxStatus]] = MappingProxyType(
    {
        # relay claims it (FOR UPDATE SKIP LOCKED) and sets the lease.
        _O.PENDING: frozenset({_O.PROCESSING}),
        # relay marks it published, puts it back for backoff, or fails it (poison, attempts spent);
        # lease rescue also puts it back to pending when its relay died.
        _O.PROCESSING: frozenset({_O.PUBLISHED, _O.PENDING, _O.FAILED}),
        # final: retention purge deletes it, nothing moves it.
        _O.PUBLISHED: frozenset(),
        # operator retry puts it back to pending with attempts reset.
        _O.FAILED: frozenset({_O.PENDING}),
    }
)

OUTBOX_FINAL_STATES: frozenset[OutboxStatus] = frozenset(
    state for state, targets in OUTBOX_TRANSITIONS.items() if not targets
)


def allowed_sources(target: SubmissionStatus) -> frozenset[SubmissionStatus]:
    """Submission states from which ``target`` may be entered (the guard's IN list)."""
    return frozenset(src for src, targets in SUBMISSION_TRANSITIONS.items() if target in targets)


def can_transition(src: SubmissionStatus, dst: SubmissionStatus) -> bool:
    """Whether a submission may move from ``src`` to ``dst``."""
    return dst in SUBMISSION_TRANSITIONS[src]


def outbox_allowed_sources(target: OutboxStatus) -> frozenset[OutboxStatus]:
    """Outbox states from which ``target`` may be entered (the guard's IN list)."""
    return frozenset(src for src, targets in OUTBOX_TRANSITIONS.items() if target in targets)


def outbox_can_transition(src: OutboxStatus, dst: OutboxStatus) -> bool:
    """Whether an outbox row may move from ``src`` to ``dst``."""
    return dst in OUTBOX_TRANSITIONS[src]
