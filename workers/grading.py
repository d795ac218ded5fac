"""Grade one grading.request: the whole objective grading in one transaction.

The submission row is locked first, so a duplicate delivery waits and then finds the
submission completed (and changes nothing), while a worker killed mid-job rolls back
and the redelivered message grades it from the start.

Two kinds of trouble are kept apart by their class:
- the grading failed transiently (a ``TransientError`` that is not infrastructure): it is
  recorded (error, retrying) and counts against GRADING_MAX_RETRIES, in the submission's
  retry budget that the database counts (workers/grading_failures.py);
- the database went away (``InfrastructureError``): nothing can be recorded and nothing
  is spent. The thread waits for the database (up to ``outage_wait_seconds``) and grades
  again; past that the error goes up and the actor hands the message back to the broker.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

import structlog
from sqlalchemy.engine import Engine

from db.grading import GradingInput, database_ready, submission_lock_for_grading
from db.result_apply import result_apply
from db.results import PATH_TO_PROCESSING, LockedSubmission
from db.statements import Tx
from domain.enums import OBJECTIVE_FORMATS, SubmissionStatus
from domain.errors import InfrastructureError, InvalidInput, TransientError
from domain.events import EventKind
from domain.failures import BAD_INPUT, INTERNAL_ERROR
from domain.messages import GradingRequest
from domain.objective import grade_objective
from domain.results import (
    Action,
    AiResult,
    SubmissionState,
    Verdict,
    decide,
)
from domain.review_rules import SpotChecks
from workers import metrics
from workers.ai_grader import GraderRefused, GraderRequest
from workers.duty_loop import Outage
from workers.grading_failures import record_failure
from workers.grading_outcomes import Delivery as Delivery
from workers.grading_outcomes import Graded as Graded
from workers.grading_outcomes import Outcome as Outcome
from workers.grading_steps import (
    Logger,
    advance_to_processing,
    attempt_data,
    dispatch,
    fail_bad_input,
    reports,
    skip,
    source_of,
)
from workers.text_graders import UNANSWERED, BuiltinGrader, TextGrader

log = structlog.get_logger("vstep.worker")
_S = SubmissionStatus

# How long a grading thread waits for the database to come back before it hands its
# message back to the broker (which costs no retry either).
OUTAGE_WAIT_SECONDS = 60.0
# How many threads each worker process runs: its database pool has as many connections.
WORKER_THREADS_ENV = "VSTEP_WORKER_THREADS"


class _SharedOutage:
    """One outage report for all the threads of a worker process, not one per thread."""

    def __init__(self, logger: Logger) -> None:
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
        engine: Engine,
        *,
        outage_wait_seconds: float = OUTAGE_WAIT_SECONDS,
        text_grader: TextGrader | None = None,
        spot_check_rate: float = 0.0,
        spot_check_seed: int | None = None,
    ) -> None:
        # Gradings write through a Core connection: they need no ORM, and a Session costs
        # more Python per transaction than the grading's own statements.
        self.engine = engine
        self.outage_wait_seconds = outage_wait_seconds
        self.text_grader: TextGrader = text_grader or BuiltinGrader()
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
                with self.engine.begin() as tx:
                    database_ready(tx)
                return
            except InfrastructureError as exc:
                pause = self.outage.failed(exc)
                if time.monotonic() + pause > give_up:
                    return  # one more try of the real thing decides
                time.sleep(pause)

    def _grade_recorded(
        self, request: GradingRequest, delivery: Delivery, context: Logger
    ) -> Graded:
        """One try; a failure of the grading is recorded before this returns."""
        # What to report once the transaction has committed: a commit the database never
        # confirmed (a cut connection) must not leave a "completed" line in the log.
        after_commit: list[Callable[[], None]] = []
        # A request for a grader that answers later, sent once the processing state is
        # committed (never from inside a transaction that holds the row lock).
        to_send: list[GraderRequest] = []
        try:
            with self.engine.begin() as tx:
                outcome = self._grade_locked(tx, request, delivery, context, after_commit, to_send)
            for report in after_commit:
                report()
            for grader_request in to_send:
                self.text_grader.send(grader_request)
                context.info("grading_dispatched", grader=self.text_grader.name)
        except InfrastructureError:
            raise
        except TransientError as exc:
            return record_failure(self.engine, request, delivery, exc, context, reason=None)
        except GraderRefused as exc:
            return record_failure(self.engine, request, delivery, exc, context, reason=BAD_INPUT)
        except Exception as exc:
            # A bug, not bad input: fail the submission visibly; an operator can retry
            # it once the cause is fixed.
            context.exception("grading_crashed")
            return record_failure(
                self.engine, request, delivery, exc, context, reason=INTERNAL_ERROR
            )
        return Graded(outcome)

    def _grade_locked(
        self,
        tx: Tx,
        request: GradingRequest,
        delivery: Delivery,
        context: Logger,
        after_commit: list[Callable[[], None]],
        to_send: list[GraderRequest],
    ) -> Outcome:
        submission = submission_lock_for_grading(tx, id=request.submission_id)
        if submission is None:
            context.warning("submission_not_found")
            return Outcome.NOT_FOUND
        if submission.deleted_at is not None:
            return skip(tx, submission, delivery, context, "submission is deleted")
        if submission.request_id != request.request_id:
            return skip(
                tx,
                submission,
                delivery,
                context,
                f"request {request.request_id} is not the current request {submission.request_id}",
                kind=EventKind.STALE_REQUEST,
            )
        if submission.status not in PATH_TO_PROCESSING:
            context.info("grading_skipped", status=submission.status.value, reason="duplicate")
            return Outcome.SKIPPED
        try:
            answer = self._machine_grade(tx, submission)
        except InvalidInput as exc:
            return fail_bad_input(tx, submission, delivery, context, exc, after_commit)
        if isinstance(answer, GraderRequest):
            outcome = dispatch(tx, submission, delivery, context, answer, self.text_grader.name)
            if outcome is Outcome.DISPATCHED:
                to_send.append(answer)
            return outcome
        return self._apply(tx, request, submission, delivery, context, answer, after_commit)

    def _machine_grade(self, tx: Tx, submission: GradingInput) -> AiResult | GraderRequest:
        """The objective grader's or the text grader's answer; InvalidInput on a bad answer."""
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
        if submission.unanswered:
            # An unanswered exam part is graded here whatever the grader: there is
            # nothing to send, and nothing to doubt.
            return UNANSWERED.grade(tx, submission)
        return self.text_grader.grade(tx, submission)

    def _apply(
        self,
        tx: Tx,
        request: GradingRequest,
        submission: GradingInput,
        delivery: Delivery,
        context: Logger,
        result: AiResult,
        after_commit: list[Callable[[], None]],
    ) -> Outcome:
        """The one result path, as every grader's result takes it, on the database's clock."""
        now = submission.now
        state = SubmissionState(
            status=submission.status,
            request_id=submission.request_id,
            deadline=submission.deadline,
            grading_mode=None,
            failures=submission.failures,
        )
        # The submission is on its way to processing (PATH_TO_PROCESSING), where the
        # decision is the same whichever state of the way it is in.
        decision = decide(
            state,
            result,
            request_id=request.request_id,
            now=now,
            spot_check=self.spot_checks.draw(result),
        )
        if decision.action is not Action.COMPLETE:
            # Anything but a completion (a result past the deadline) is recorded from
            # processing, the state the timeline shows the grading in.
            advance_to_processing(tx, submission, delivery)
            state = replace(state, status=_S.PROCESSING)
        result_apply(
            tx,
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
            source=source_of(delivery),
            processing=attempt_data(submission, delivery),
        )
        after_commit.extend(reports(context, submission, result, decision))
        if decision.verdict is Verdict.LATE:
            return Outcome.FAILED
        return Outcome.REVIEW if decision.action is Action.REVIEW else Outcome.COMPLETED


def new_worker_id() -> str:
    return f"worker-{uuid.uuid4().hex[:8]}"
