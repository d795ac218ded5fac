"""Grade one grading.request: the whole objective grading in one transaction.

The submission row is locked first, so a duplicate delivery waits and then finds the
submission completed (and changes nothing), while a worker killed mid-job rolls back
and the redelivered message grades it from the start. Transient failures are recorded
(error, retrying) in a transaction of their own and left to Dramatiq's retries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db.grading import GradingInput, submission_details_set_result, submission_lock_for_grading
from db.progress import progress_record_score
from db.submissions import submission_transition
from domain.enums import OBJECTIVE_FORMATS, GradingMode, SubmissionStatus
from domain.errors import InvalidInput, TransientError
from domain.messages import GradingRequest
from domain.objective import grade_objective
from workers import metrics

log = structlog.get_logger("vstep.worker")
_S = SubmissionStatus

# Failure reasons kept on the `failed` event (failureReason).
BAD_INPUT = "BAD_INPUT"
MAX_RETRIES = "MAX_RETRIES"
INTERNAL_ERROR = "INTERNAL_ERROR"


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_FOUND = "not_found"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Delivery:
    """Where a grading request came from: the message, and how many tries came before."""

    message_id: str
    retries: int
    max_retries: int
    worker_id: str


def is_transient(exc: BaseException) -> bool:
    """Connection loss and timeouts may heal; anything else is a bug or bad input."""
    if isinstance(exc, TransientError | OperationalError | TimeoutError | ConnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class GradingService:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def grade(self, request: GradingRequest, delivery: Delivery) -> Outcome:
        """Grade the submission a request names; raises only transient errors."""
        context = log.bind(
            submission_id=str(request.submission_id),
            request_id=str(request.request_id),
            trace_id=request.trace_id,
            message_id=delivery.message_id,
        )
        try:
            with self.session_factory.begin() as session:
                outcome = self._grade_locked(session, request, delivery, context)
        except Exception as exc:
            if not is_transient(exc):
                # A bug, not bad input: fail the submission visibly; Dramatiq dead-letters
                # the message, and an operator can retry once the cause is fixed.
                self.record_failure(request, delivery, exc, context, reason=INTERNAL_ERROR)
                raise
            exhausted = delivery.retries >= delivery.max_retries
            self.record_failure(
                request, delivery, exc, context, reason=MAX_RETRIES if exhausted else None
            )
            raise TransientError(f"grading interrupted: {exc}") from exc
        metrics.GRADING_RESULTS.labels(outcome=outcome.value).inc()
        return outcome

    def _grade_locked(
        self,
        session: Session,
        request: GradingRequest,
        delivery: Delivery,
        context: structlog.typing.FilteringBoundLogger,
    ) -> Outcome:
        submission = submission_lock_for_grading(session, id=request.submission_id)
        if submission is None:
            context.warning("submission_not_found")
            return Outcome.NOT_FOUND
        if submission.request_id != request.request_id:
            context.warning("grading_request_stale", current_request_id=str(submission.request_id))
            return Outcome.SKIPPED
        if submission.question_format not in OBJECTIVE_FORMATS:
            # Writing and speaking go to the AI grader, which this worker does not run yet.
            context.warning("grading_not_supported", format=submission.question_format.value)
            return Outcome.UNSUPPORTED
        if not self._start(session, submission, delivery, context):
            return Outcome.SKIPPED
        try:
            graded = grade_objective(
                submission.question_format,
                submission.question_content,
                submission.answer_key,
                submission.answer if submission.answer is not None else {},
            )
        except InvalidInput as exc:
            submission_transition(
                session,
                id=submission.id,
                to=_S.FAILED,
                data={
                    "failureReason": BAD_INPUT,
                    "attemptsMade": delivery.retries + 1,
                    "lastError": str(exc),
                    "field": exc.field,
                    "workerId": delivery.worker_id,
                },
            )
            context.error("submission_failed", reason=BAD_INPUT, error=str(exc))
            return Outcome.FAILED
        now = datetime.now(UTC)
        submission_details_set_result(
            session, submission_id=submission.id, result=graded.to_result_json(now)
        )
        submission_transition(
            session,
            id=submission.id,
            to=_S.COMPLETED,
            values={
                "score": graded.score,
                "band": graded.band,
                "grading_mode": GradingMode.AUTO,
                "completed_at": now,
            },
            data={
                "score": float(graded.score),
                "band": graded.band.value if graded.band else None,
                "correctCount": graded.correct_count,
                "totalCount": graded.total_count,
                "workerId": delivery.worker_id,
                "messageId": delivery.message_id,
            },
        )
        progress_record_score(
            session,
            submission_id=submission.id,
            user_id=submission.user_id,
            skill=submission.skill,
            score=graded.score,
        )
        latency = (now - submission.created_at).total_seconds()
        metrics.GRADING_LATENCY.observe(latency)
        context.info(
            "submission_completed",
            score=float(graded.score),
            band=graded.band.value if graded.band else None,
            latency_seconds=round(latency, 3),
        )
        return Outcome.COMPLETED

    def _start(
        self,
        session: Session,
        submission: GradingInput,
        delivery: Delivery,
        context: structlog.typing.FilteringBoundLogger,
    ) -> bool:
        """Move the submission to processing along the allowed path; False for a duplicate."""
        if advance_to_processing(session, submission, delivery):
            return True
        context.info("grading_skipped", status=submission.status.value, reason="duplicate")
        return False

    def record_failure(
        self,
        request: GradingRequest,
        delivery: Delivery,
        exc: BaseException,
        context: structlog.typing.FilteringBoundLogger,
        *,
        reason: str | None,
    ) -> None:
        """error, then retrying (reason None) or failed with the reason; best effort."""
        attempts = delivery.retries + 1
        exhausted = reason is not None
        error = f"{type(exc).__name__}: {exc}"[:1000]
        try:
            with self.session_factory.begin() as session:
                submission = submission_lock_for_grading(session, id=request.submission_id)
                if submission is None or submission.request_id != request.request_id:
                    return
                # The grading transaction rolled back: walk the path it took, then record why.
                advance_to_processing(session, submission, delivery)
                submission_transition(
                    session,
                    id=request.submission_id,
                    to=_S.ERROR,
                    data={
                        "error": error,
                        "attempt": attempts,
                        "transient": reason != INTERNAL_ERROR,
                    },
                )
                if exhausted:
                    submission_transition(
                        session,
                        id=request.submission_id,
                        to=_S.FAILED,
                        data={
                            "failureReason": reason,
                            "attemptsMade": attempts,
                            "lastError": error,
                        },
                    )
                else:
                    submission_transition(
                        session,
                        id=request.submission_id,
                        to=_S.RETRYING,
                        data={"attempt": attempts + 1, "lastError": error},
                    )
        except DBAPIError as record_error:
            context.error("grading_failure_not_recorded", error=str(record_error)[:500])
        if exhausted:
            metrics.GRADING_RESULTS.labels(outcome=Outcome.FAILED.value).inc()
            context.error("submission_failed", reason=reason, error=error)
        else:
            metrics.GRADING_RETRIES.inc()
            context.warning("grading_retry_scheduled", attempt=attempts, error=error)


# The allowed way from each state into processing (a duplicate finds none).
PATH_TO_PROCESSING: dict[SubmissionStatus, tuple[SubmissionStatus, ...]] = {
    # The message can outrun the relay's pending -> queued commit.
    _S.PENDING: (_S.QUEUED, _S.PROCESSING),
    _S.QUEUED: (_S.PROCESSING,),
    _S.ERROR: (_S.RETRYING, _S.PROCESSING),
    _S.RETRYING: (_S.PROCESSING,),
}


def advance_to_processing(session: Session, submission: GradingInput, delivery: Delivery) -> bool:
    path = PATH_TO_PROCESSING.get(submission.status)
    if path is None:
        return False
    data = {
        "workerId": delivery.worker_id,
        "messageId": delivery.message_id,
        "attempt": delivery.retries + 1,
    }
    for step in path:
        submission_transition(session, id=submission.id, to=step, data=data)
    return True


def new_worker_id() -> str:
    return f"worker-{uuid.uuid4().hex[:8]}"
