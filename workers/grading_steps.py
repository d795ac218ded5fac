"""The grading worker's steps besides the result path: into processing, a skip, a dispatch
to a grader that answers later, a bad answer failed at once, and the reports of a result
once committed.

Each write runs in the grading transaction, on the submission locked by
``db.grading.submission_lock_for_grading``; the events name the message and worker
(``delivery``) and the attempt, counted by the database (domain/retries.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import structlog

from db.grading import GradingInput
from db.results import advance_to_processing as advance_path
from db.results import steps_to_processing
from db.statements import Tx
from db.submissions import Step, submission_event_append, submission_walk
from domain.enums import SubmissionStatus
from domain.errors import InvalidInput
from domain.events import EventKind
from domain.failures import BAD_INPUT
from domain.results import Action, AiResult, Decision, Verdict
from domain.retries import attempt_number
from domain.states import TIMEOUT_ELIGIBLE
from workers import metrics
from workers.ai_grader import GraderRequest
from workers.grading_outcomes import Delivery, Outcome

Logger = structlog.typing.FilteringBoundLogger


def source_of(delivery: Delivery) -> dict[str, Any]:
    """Where a worker's result came from, on every event it writes."""
    return {"workerId": delivery.worker_id, "messageId": delivery.message_id}


def attempt_data(submission: GradingInput, delivery: Delivery) -> dict[str, Any]:
    """The data of the events of an attempt: where it runs, and which attempt it is."""
    return {**source_of(delivery), "attempt": attempt_number(submission.failures)}


def advance_to_processing(tx: Tx, submission: GradingInput, delivery: Delivery) -> bool:
    """Into processing along the allowed path (db/results.py); False for a duplicate."""
    return advance_path(
        tx, id=submission.id, status=submission.status, data=attempt_data(submission, delivery)
    )


def past_deadline(submission: GradingInput) -> bool:
    """Still being graded when its deadline has passed (the timeout duty's to fail)."""
    return (
        submission.status in TIMEOUT_ELIGIBLE
        and submission.deadline is not None
        and submission.now >= submission.deadline
    )


def skip(
    tx: Tx,
    submission: GradingInput,
    delivery: Delivery,
    context: structlog.typing.FilteringBoundLogger,
    reason: str,
    *,
    kind: EventKind = EventKind.GRADING_SKIPPED,
) -> Outcome:
    """Leave the submission as it is, with an event saying why the message changed nothing."""
    submission_event_append(
        tx, submission_id=submission.id, kind=kind, data={"reason": reason, **source_of(delivery)}
    )
    context.warning(kind.value, reason=reason)
    return Outcome.SKIPPED


def dispatch(
    tx: Tx,
    submission: GradingInput,
    delivery: Delivery,
    context: structlog.typing.FilteringBoundLogger,
    request: GraderRequest,
    grader: str,
) -> Outcome:
    """Commit processing with a grader_requested event; the caller sends ``request`` after.

    A submission already processing is sent again: only a redispatch (the stall duty
    found no result coming) or a duplicate delivery brings it here, and a second
    request costs nothing, since the grader's second result is ignored. One past its
    deadline is not: the timeout duty fails it (TIMEOUT), as any other still graded.
    """
    if past_deadline(submission):
        return skip(tx, submission, delivery, context, "past the deadline")
    if not advance_to_processing(tx, submission, delivery):
        context.info("grading_skipped", status=submission.status.value, reason="duplicate")
        return Outcome.SKIPPED
    data = {"grader": grader, **attempt_data(submission, delivery)}
    submission_event_append(
        tx, submission_id=submission.id, kind=EventKind.GRADER_REQUESTED, data=data
    )
    return Outcome.DISPATCHED


def reports(
    context: Logger, submission: GradingInput, result: AiResult, decision: Decision
) -> list[Callable[[], None]]:
    """The log lines and metrics of a recorded result, for after the commit."""
    if decision.verdict is Verdict.LATE:
        return [partial(context.warning, "grading_result_late")]
    score = float(result.overall_score) if result.overall_score is not None else None
    if decision.action is Action.REVIEW:
        return [
            partial(
                context.info,
                "submission_review_pending",
                score=score,
                confidence=result.confidence,
                priority=decision.review_priority,
                reason=decision.reason or "confidence",
            )
        ]
    latency = (submission.now - submission.created_at).total_seconds()
    return [
        partial(metrics.GRADING_LATENCY.observe, latency),
        partial(
            context.info,
            "submission_completed",
            score=score,
            band=result.band.value if result.band else None,
            latency_seconds=round(latency, 3),
        ),
    ]


def fail_bad_input(
    tx: Tx,
    submission: GradingInput,
    delivery: Delivery,
    context: Logger,
    exc: InvalidInput,
    after_commit: list[Callable[[], None]],
) -> Outcome:
    """An answer the grader cannot read: failed BAD_INPUT at once, no retry."""
    processing = attempt_data(submission, delivery)
    failed = {
        "failureReason": BAD_INPUT,
        "attemptsMade": processing["attempt"],
        "lastError": str(exc),
        "field": exc.field,
        "workerId": delivery.worker_id,
    }
    steps = [
        *steps_to_processing(submission.status, processing),
        Step(SubmissionStatus.FAILED, failed),
    ]
    submission_walk(tx, id=submission.id, steps=steps)
    after_commit.append(
        partial(context.error, "submission_failed", reason=BAD_INPUT, error=str(exc))
    )
    return Outcome.FAILED
