"""A grading that failed: error, then retrying or failed, under the submission's retry budget.

The grading transaction rolled back; this writes in one of its own, on the submission
locked again, so the number of failures it decides with is the database's (the error
events of the current budget, domain/retries.py): the same number a grader's error
callback decides with (db/results.py), whichever door the failures came through.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.engine import Engine

from db.grading import submission_lock_for_grading
from db.submissions import submission_transition
from domain.enums import SubmissionStatus
from domain.failures import INTERNAL_ERROR, MAX_RETRIES
from domain.messages import GradingRequest
from domain.retries import attempt_number, budget_spent, retry_delay_seconds
from workers import metrics
from workers.ai_grader import GraderUnavailable
from workers.grading_outcomes import Delivery, Graded, Outcome
from workers.grading_steps import advance_to_processing

_S = SubmissionStatus


def record_failure(
    engine: Engine,
    request: GradingRequest,
    delivery: Delivery,
    exc: BaseException,
    context: structlog.typing.FilteringBoundLogger,
    *,
    reason: str | None,
) -> Graded:
    """error, then failed with ``reason``, or (reason None: a transient failure) retrying,
    or failed MAX_RETRIES once the budget is spent. A retry says how long it waits
    (``notBefore`` on its event).

    Raises InfrastructureError when it could not be written: the caller tries the whole
    grading again later, and nothing is logged as recorded that was not.
    """
    error = f"{type(exc).__name__}: {exc}"[:1000]
    retry_in: float | None = None
    with engine.begin() as tx:
        submission = submission_lock_for_grading(tx, id=request.submission_id)
        if submission is None or submission.request_id != request.request_id:
            # Gone or replaced: a retry of the message finds that and leaves it alone.
            return Graded(Outcome.FAILED if reason is not None else Outcome.RETRY)
        attempt = attempt_number(submission.failures)
        if reason is None and budget_spent(submission.failures, delivery.max_retries):
            reason = MAX_RETRIES
        # The grading transaction rolled back: walk the path it took, then record why.
        advance_to_processing(tx, submission, delivery)
        submission_transition(
            tx,
            id=request.submission_id,
            to=_S.ERROR,
            data={"error": error, "attempt": attempt, "transient": reason != INTERNAL_ERROR},
        )
        if reason is not None:
            failed = {"failureReason": reason, "attemptsMade": attempt, "lastError": error}
            moved = submission_transition(tx, id=request.submission_id, to=_S.FAILED, data=failed)
        else:
            asked = exc.retry_after_seconds if isinstance(exc, GraderUnavailable) else None
            retry_in = _retry_in(
                delivery, attempt, asked, now=submission.now, deadline=submission.deadline
            )
            retrying = {
                "attempt": attempt + 1,
                "lastError": error,
                "notBefore": (submission.now + timedelta(seconds=retry_in)).isoformat(),
                **({"retryAfter": asked} if asked is not None else {}),
            }
            moved = submission_transition(
                tx, id=request.submission_id, to=_S.RETRYING, data=retrying
            )
    if reason is not None:
        if moved:
            context.error("submission_failed", reason=reason, error=error)
        return Graded(Outcome.FAILED)
    if moved:
        metrics.GRADING_RETRIES.inc()
        context.warning(
            "grading_retry_scheduled",
            attempt=attempt,
            error=error,
            retry_in_seconds=round(retry_in or 0.0, 3),
        )
    return Graded(Outcome.RETRY, retry_in)


def _retry_in(
    delivery: Delivery,
    attempt: int,
    retry_after: float | None,
    *,
    now: datetime,
    deadline: datetime | None,
) -> float:
    """Seconds until the retry after failed ``attempt``: its backoff, or the grader's
    Retry-After, capped at GRADING_RETRY_CAP_SECONDS and never past the deadline."""
    return retry_delay_seconds(
        attempt,
        base=delivery.retry_base_seconds,
        cap=delivery.retry_cap_seconds,
        retry_after=retry_after,
        until_deadline=(deadline - now).total_seconds() if deadline is not None else None,
    )
