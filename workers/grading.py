"""Grade one grading.request: the whole objective grading in one transaction.

The submission row is locked first, so a duplicate delivery waits and then finds the
submission completed (and changes nothing), while a worker killed mid-job rolls back
and the redelivered message grades it from the start.

Two kinds of trouble are kept apart by their class:
- the grading failed transiently (a ``TransientError`` that is not infrastructure): it is
  recorded (error, retrying) and counts against GRADING_MAX_RETRIES;
- the database went away (``InfrastructureError``): nothing can be recorded and nothing
  is spent. The thread waits for the database (up to ``outage_wait_seconds``) and grades
  again; past that the error goes up and the actor hands the message back to the broker.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.clock import database_ping
from db.grading import GradingInput, submission_lock_for_grading
from db.results import PATH_TO_PROCESSING, LockedSubmission, result_apply, steps_to_processing
from db.results import advance_to_processing as advance_path
from db.statements import Tx
from db.submissions import Step, submission_event_append, submission_transition, submission_walk
from domain.answers import is_empty_answer
from domain.enums import OBJECTIVE_FORMATS, SubmissionStatus
from domain.errors import InfrastructureError, InvalidInput, TransientError
from domain.events import EventKind
from domain.failures import BAD_INPUT, INTERNAL_ERROR, MAX_RETRIES
from domain.messages import GradingRequest
from domain.objective import grade_objective
from domain.results import Action, AiResult, SpotChecks, SubmissionState, Verdict, decide
from domain.retries import retry_delay_seconds
from domain.states import TIMEOUT_ELIGIBLE
from workers import metrics
from workers.ai_grader import AiGraderClient, GraderRefused, GraderRequest, GraderUnavailable
from workers.duty_loop import Outage
from workers.text_graders import BuiltinGrader, TextGrader

log = structlog.get_logger("vstep.worker")
_S = SubmissionStatus

# How long a grading thread waits for the database to come back before it hands its
# message back to the broker (which costs no retry either).
OUTAGE_WAIT_SECONDS = 60.0
# How many threads each worker process runs: its database pool has as many connections.
WORKER_THREADS_ENV = "VSTEP_WORKER_THREADS"


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
    """Where a grading request came from: the message, and how many grading failures came before.

    ``failures`` counts only failures of the grading itself; an outage adds nothing to it.
    """

    message_id: str
    failures: int
    max_retries: int
    worker_id: str
    # The retries' backoff (GRADING_RETRY_BASE_SECONDS, GRADING_RETRY_CAP_SECONDS).
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0

    @property
    def attempt(self) -> int:
        return self.failures + 1


class _SharedOutage:
    """One outage report for all the threads of a worker process, not one per thread."""

    def __init__(self, logger: structlog.typing.FilteringBoundLogger) -> None:
        self._outage = Outage(logger)
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> float:
        with self._lock:
            return self._outage.failed("grading", exc)

    def recovered(self) -> None:
        with self._lock:
            self._outage.recovered("grading")


class GradingService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        outage_wait_seconds: float = OUTAGE_WAIT_SECONDS,
        text_grader: TextGrader | None = None,
        spot_check_rate: float = 0.0,
        spot_check_seed: int | None = None,
    ) -> None:
        self.session_factory = session_factory
        # Gradings write through a Core connection: they need no ORM, and a Session costs
        # more Python per transaction than the grading's own statements.
        self.engine: Engine = session_factory.kw["bind"]
        self.outage_wait_seconds = outage_wait_seconds
        self.text_grader: TextGrader = text_grader or BuiltinGrader()
        # An unanswered exam part is graded in the worker whatever the grader.
        self.builtin = (
            self.text_grader if isinstance(self.text_grader, BuiltinGrader) else BuiltinGrader()
        )
        self.spot_checks = SpotChecks(spot_check_rate, spot_check_seed)
        self.outage = _SharedOutage(log)

    def grade(self, request: GradingRequest, delivery: Delivery) -> Graded:
        """Grade the submission a request names, waiting out a database outage.

        Raises InfrastructureError only when the database stayed away for the whole wait.
        """
        context = log.bind(
            submission_id=str(request.submission_id),
            request_id=str(request.request_id),
            trace_id=request.trace_id,
            message_id=delivery.message_id,
        )
        give_up = time.monotonic() + self.outage_wait_seconds
        while True:
            try:
                graded = self._grade_recorded(request, delivery, context)
            except InfrastructureError as exc:
                pause = self.outage.failed(exc)
                if time.monotonic() + pause > give_up:
                    raise
                time.sleep(pause)
                self._wait_for_database(give_up)
                continue
            self.outage.recovered()
            metrics.GRADING_RESULTS.labels(outcome=graded.outcome.value).inc()
            return graded

    def _wait_for_database(self, give_up: float) -> None:
        while True:
            try:
                with self.session_factory.begin() as session:
                    database_ping(session)
                return
            except InfrastructureError as exc:
                pause = self.outage.failed(exc)
                if time.monotonic() + pause > give_up:
                    return  # one more try of the real thing decides
                time.sleep(pause)

    def _grade_recorded(
        self,
        request: GradingRequest,
        delivery: Delivery,
        context: structlog.typing.FilteringBoundLogger,
    ) -> Graded:
        """One try; a failure of the grading is recorded before this returns."""
        # What to report once the transaction has committed: a commit the database never
        # confirmed (a cut connection) must not leave a "completed" line in the log.
        after_commit: list[Callable[[], None]] = []
        # A request for the external grader, sent once the processing state is committed
        # (never from inside a transaction that holds the row lock).
        to_send: list[GraderRequest] = []
        try:
            with self.engine.begin() as session:
                outcome = self._grade_locked(
                    session, request, delivery, context, after_commit, to_send
                )
            for report in after_commit:
                report()
            if to_send and isinstance(self.text_grader, AiGraderClient):
                self.text_grader.submit(to_send[0])
                context.info("grading_dispatched", grader=self.text_grader.url)
        except InfrastructureError:
            raise
        except TransientError as exc:
            exhausted = delivery.failures >= delivery.max_retries
            retry_in = self.record_failure(
                request, delivery, exc, context, reason=MAX_RETRIES if exhausted else None
            )
            if exhausted:
                return Graded(Outcome.FAILED)
            return Graded(Outcome.RETRY, retry_in)
        except GraderRefused as exc:
            self.record_failure(request, delivery, exc, context, reason=BAD_INPUT)
            return Graded(Outcome.FAILED)
        except Exception as exc:
            # A bug, not bad input: fail the submission visibly; an operator can retry
            # it once the cause is fixed.
            context.exception("grading_crashed")
            self.record_failure(request, delivery, exc, context, reason=INTERNAL_ERROR)
            return Graded(Outcome.FAILED)
        return Graded(outcome)

    def _grade_locked(
        self,
        session: Tx,
        request: GradingRequest,
        delivery: Delivery,
        context: structlog.typing.FilteringBoundLogger,
        after_commit: list[Callable[[], None]],
        to_send: list[GraderRequest],
    ) -> Outcome:
        submission = submission_lock_for_grading(session, id=request.submission_id)
        if submission is None:
            context.warning("submission_not_found")
            return Outcome.NOT_FOUND
        if submission.deleted_at is not None:
            return _skip(session, submission, delivery, context, "submission is deleted")
        if submission.request_id != request.request_id:
            return _skip(
                session,
                submission,
                delivery,
                context,
                f"request {request.request_id} is not the current request {submission.request_id}",
                kind=EventKind.STALE_REQUEST,
            )
        objective = submission.question_format in OBJECTIVE_FORMATS
        # An unanswered exam part is graded here whatever the grader: there is nothing
        # to send, and nothing to doubt.
        external = isinstance(self.text_grader, AiGraderClient)
        if not objective and external and not is_empty_answer(submission.skill, submission.answer):
            if _past_deadline(submission):
                # A retry held back to the deadline lands here: the grader is not asked
                # past it; the timeout duty fails the submission (TIMEOUT), as it would
                # any other still being graded.
                return _skip(session, submission, delivery, context, "past the deadline")
            return self._dispatch(session, submission, delivery, context, to_send)
        if submission.status not in PATH_TO_PROCESSING:
            context.info("grading_skipped", status=submission.status.value, reason="duplicate")
            return Outcome.SKIPPED
        where = {"workerId": delivery.worker_id, "messageId": delivery.message_id}
        processing = {**where, "attempt": delivery.attempt}
        try:
            result = self._machine_grade(session, submission)
        except InvalidInput as exc:
            failed = {
                "failureReason": BAD_INPUT,
                "attemptsMade": delivery.attempt,
                "lastError": str(exc),
                "field": exc.field,
                "workerId": delivery.worker_id,
            }
            submission_walk(
                session,
                id=submission.id,
                steps=[
                    *steps_to_processing(submission.status, processing),
                    Step(_S.FAILED, failed),
                ],
            )
            after_commit.append(
                partial(context.error, "submission_failed", reason=BAD_INPUT, error=str(exc))
            )
            return Outcome.FAILED
        # The one result path, as every grader's result takes it, on the database's clock.
        now = submission.now
        spot_check = self.spot_checks.draw(result)
        state = SubmissionState(
            status=submission.status,
            request_id=submission.request_id,
            deadline=submission.deadline,
            grading_mode=None,
        )
        decision = decide(
            state, result, request_id=request.request_id, now=now, spot_check=spot_check
        )
        if decision.action is not Action.COMPLETE:
            # Anything but a completion (a result past the deadline) is recorded from
            # processing, the state the timeline shows the grading in.
            advance_to_processing(session, submission, delivery)
            state = replace(state, status=_S.PROCESSING)
            decision = decide(
                state, result, request_id=request.request_id, now=now, spot_check=spot_check
            )
        result_apply(
            session,
            submission=LockedSubmission(
                id=submission.id,
                user_id=submission.user_id,
                skill=submission.skill,
                deleted=False,
                state=state,
                exam_session_id=submission.exam_session_id,
            ),
            decision=decision,
            incoming=result,
            now=now,
            source=where,
            processing=processing,
        )
        if decision.verdict is Verdict.LATE:
            after_commit.append(partial(context.warning, "grading_result_late"))
            return Outcome.FAILED
        score = float(result.overall_score) if result.overall_score is not None else None
        band = result.band.value if result.band else None
        if decision.action is Action.REVIEW:
            after_commit.append(
                partial(
                    context.info,
                    "submission_review_pending",
                    score=score,
                    confidence=result.confidence,
                    priority=decision.review_priority,
                    reason=decision.reason or "confidence",
                )
            )
            return Outcome.REVIEW
        latency = (now - submission.created_at).total_seconds()
        after_commit.append(partial(metrics.GRADING_LATENCY.observe, latency))
        after_commit.append(
            partial(
                context.info,
                "submission_completed",
                score=score,
                band=band,
                latency_seconds=round(latency, 3),
            )
        )
        return Outcome.COMPLETED

    def _machine_grade(self, session: Tx, submission: GradingInput) -> AiResult:
        """The objective grader's or the built-in grader's result; InvalidInput on a bad answer."""
        answer = submission.answer if submission.answer is not None else {}
        if submission.question_format in OBJECTIVE_FORMATS:
            graded = grade_objective(
                submission.question_format,
                submission.question_content,
                submission.answer_key,
                answer,
            )
            return AiResult(
                overall_score=graded.score,
                band=graded.band,
                # Objective grading is exact: nothing for a reviewer to doubt.
                confidence=100,
                certain=True,
                grader="objective",
                details=graded.to_result_json(submission.now),
            )
        return self.builtin.grade(session, submission)

    def _dispatch(
        self,
        session: Tx,
        submission: GradingInput,
        delivery: Delivery,
        context: structlog.typing.FilteringBoundLogger,
        to_send: list[GraderRequest],
    ) -> Outcome:
        """Commit processing with a grader_requested event; the request goes out after.

        A submission already processing is sent again: only a redispatch (the stall duty
        found no result coming) or a duplicate delivery brings it here, and a second
        request costs nothing, since the grader's second result is ignored.
        """
        grader = self.text_grader
        assert isinstance(grader, AiGraderClient)
        if not advance_to_processing(session, submission, delivery):
            context.info("grading_skipped", status=submission.status.value, reason="duplicate")
            return Outcome.SKIPPED
        submission_event_append(
            session,
            submission_id=submission.id,
            kind=EventKind.GRADER_REQUESTED,
            data={
                "grader": grader.url,
                "attempt": delivery.attempt,
                "messageId": delivery.message_id,
                "workerId": delivery.worker_id,
            },
        )
        to_send.append(
            GraderRequest(
                request_id=str(submission.request_id),
                submission_id=str(submission.id),
                skill=submission.skill.value,
                question={
                    "format": submission.question_format.value,
                    "content": submission.question_content,
                },
                answer=submission.answer or {},
                callback_url=grader.callback_url,
            )
        )
        return Outcome.DISPATCHED

    def record_failure(
        self,
        request: GradingRequest,
        delivery: Delivery,
        exc: BaseException,
        context: structlog.typing.FilteringBoundLogger,
        *,
        reason: str | None,
    ) -> float | None:
        """error, then retrying (reason None) or failed with the reason; for a retry, how
        long it waits (``notBefore`` on the retrying event).

        Raises InfrastructureError when it could not be written: the caller tries the whole
        grading again later, and nothing is logged as recorded that was not.
        """
        error = f"{type(exc).__name__}: {exc}"[:1000]
        retry_in: float | None = None
        with self.engine.begin() as session:
            submission = submission_lock_for_grading(session, id=request.submission_id)
            if submission is None or submission.request_id != request.request_id:
                return None
            # The grading transaction rolled back: walk the path it took, then record why.
            advance_to_processing(session, submission, delivery)
            submission_transition(
                session,
                id=request.submission_id,
                to=_S.ERROR,
                data={
                    "error": error,
                    "attempt": delivery.attempt,
                    "transient": reason != INTERNAL_ERROR,
                },
            )
            if reason is not None:
                moved = submission_transition(
                    session,
                    id=request.submission_id,
                    to=_S.FAILED,
                    data={
                        "failureReason": reason,
                        "attemptsMade": delivery.attempt,
                        "lastError": error,
                    },
                )
            else:
                asked = exc.retry_after_seconds if isinstance(exc, GraderUnavailable) else None
                retry_in = _retry_in(
                    delivery, asked, now=submission.now, deadline=submission.deadline
                )
                moved = submission_transition(
                    session,
                    id=request.submission_id,
                    to=_S.RETRYING,
                    data={
                        "attempt": delivery.attempt + 1,
                        "lastError": error,
                        "notBefore": (submission.now + timedelta(seconds=retry_in)).isoformat(),
                        **({"retryAfter": asked} if asked is not None else {}),
                    },
                )
        if not moved:
            return retry_in
        if reason is not None:
            context.error("submission_failed", reason=reason, error=error)
        else:
            metrics.GRADING_RETRIES.inc()
            context.warning(
                "grading_retry_scheduled",
                attempt=delivery.attempt,
                error=error,
                retry_in_seconds=round(retry_in or 0.0, 3),
            )
        return retry_in


def _past_deadline(submission: GradingInput) -> bool:
    """Still being graded when its deadline has passed (the timeout duty's to fail)."""
    return (
        submission.status in TIMEOUT_ELIGIBLE
        and submission.deadline is not None
        and submission.now >= submission.deadline
    )


def _retry_in(
    delivery: Delivery, retry_after: float | None, *, now: datetime, deadline: datetime | None
) -> float:
    """Seconds until the retry of ``delivery``: its backoff, or the grader's Retry-After,
    capped at GRADING_RETRY_CAP_SECONDS and never past the deadline (where it times out)."""
    return retry_delay_seconds(
        delivery.attempt,
        base=delivery.retry_base_seconds,
        cap=delivery.retry_cap_seconds,
        retry_after=retry_after,
        until_deadline=(deadline - now).total_seconds() if deadline is not None else None,
    )


def _skip(
    session: Tx,
    submission: GradingInput,
    delivery: Delivery,
    context: structlog.typing.FilteringBoundLogger,
    reason: str,
    *,
    kind: EventKind = EventKind.GRADING_SKIPPED,
) -> Outcome:
    """Leave the submission as it is, with an event saying why the message changed nothing."""
    submission_event_append(
        session,
        submission_id=submission.id,
        kind=kind,
        data={"reason": reason, "messageId": delivery.message_id, "workerId": delivery.worker_id},
    )
    context.warning(kind.value, reason=reason)
    return Outcome.SKIPPED


def advance_to_processing(session: Tx, submission: GradingInput, delivery: Delivery) -> bool:
    """Into processing along the allowed path (db/results.py); False for a duplicate."""
    return advance_path(
        session,
        id=submission.id,
        status=submission.status,
        data={
            "workerId": delivery.worker_id,
            "messageId": delivery.message_id,
            "attempt": delivery.attempt,
        },
    )


def new_worker_id() -> str:
    return f"worker-{uuid.uuid4().hex[:8]}"
