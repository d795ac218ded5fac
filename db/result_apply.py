"""Carry out ``domain.results.decide``'s decision in the caller's transaction.

One small function per ``Action``, chosen from a table: the guarded transitions, their
events, the result document (``domain/result_documents.py``), progress, and (for a
retry) the request sent again. The submission was locked by ``db.results.result_lock``
or ``db.grading.submission_lock_for_grading``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.completion import submission_complete
from db.dispatch import submission_redispatch
from db.exam_completion import exam_part_final
from db.results import LockedSubmission, advance_to_processing, steps_to_processing
from db.statements import Sql, Tx, execute, jsonb
from db.submissions import Step, submission_event_append, submission_transition
from domain.enums import SubmissionStatus
from domain.events import EventKind
from domain.failures import TIMEOUT
from domain.result_documents import (
    ai_event,
    ai_result_document,
    as_float,
    band_name,
    decision_columns,
    late_document,
    priority_of,
    review_document,
    reviewed_event,
)
from domain.results import (
    Action,
    AiResult,
    Decision,
    GraderError,
    HumanReview,
    Incoming,
    ProgressNote,
    Verdict,
)
from domain.retries import attempt_number

_S = SubmissionStatus

# The result document a review merges with (the AI's, kept while in review).
PREVIOUS_RESULT = Sql("""
    SELECT result FROM submission_details WHERE submission_id = %(id)s
""")
SET_RESULT = Sql("""
    UPDATE submission_details SET result = %(result)s, updated_at = now()
    WHERE submission_id = %(id)s
""")
MARK_LATE = Sql("""
    UPDATE submissions SET is_late = true, updated_at = now() WHERE id = %(id)s
""")


@dataclass(frozen=True)
class Applying:
    """One decision being carried out, with all its handlers need."""

    submission: LockedSubmission
    decision: Decision
    incoming: Incoming
    now: datetime
    # Where the result came from (eventId, messageId, workerId ...), on every event.
    where: Mapping[str, Any]
    # The data of the events into processing.
    processing: Mapping[str, Any]
    retry_at: datetime | None

    @property
    def id(self) -> uuid.UUID:
        return self.submission.id

    @property
    def status(self) -> SubmissionStatus:
        return self.submission.state.status

    def to_processing(self, tx: Tx) -> None:
        advance_to_processing(tx, id=self.id, status=self.status, data=self.where)


def result_apply(
    tx: Tx,
    *,
    submission: LockedSubmission,
    decision: Decision,
    incoming: Incoming,
    now: datetime,
    source: Mapping[str, Any],
    retry_at: datetime | None = None,
    processing: Mapping[str, Any] | None = None,
) -> None:
    """Carry out ``decision`` in the caller's transaction. ``source`` says where the result
    came from (eventId, messageId, workerId ...) and goes on every event written;
    ``retry_at`` is when a retried request may go to the grader again (its backoff);
    ``processing`` is the data of the events into processing, when not ``source``."""
    where = dict(source)
    applying = Applying(submission, decision, incoming, now, where, processing or where, retry_at)
    if decision.timed_out:
        submission_transition(
            tx,
            id=submission.id,
            to=_S.FAILED,
            data={"failureReason": TIMEOUT, "lastError": "a result came after the deadline"},
        )
    _HANDLERS[decision.action](tx, applying)


def _progress(tx: Tx, a: Applying) -> None:
    assert isinstance(a.incoming, ProgressNote)
    data = {"progress": a.incoming.progress, "message": a.incoming.message, **a.where}
    submission_event_append(tx, submission_id=a.id, kind=EventKind.PROGRESS, data=data)


def _complete_ai(tx: Tx, a: Applying) -> None:
    result = a.incoming
    assert isinstance(result, AiResult)
    steps = [
        *steps_to_processing(a.status, a.processing),
        Step(_S.COMPLETED, ai_event(result, a.decision, a.where)),
    ]
    # A writing or speaking result keeps its confidence on the row, as in review;
    # objective grading is exact and leaves the column alone.
    confidence = None if result.details else result.confidence
    _complete(tx, a, steps, ai_result_document(result, a.decision, a.now), confidence=confidence)


def _review(tx: Tx, a: Applying) -> None:
    result, decision = a.incoming, a.decision
    assert isinstance(result, AiResult)
    a.to_processing(tx)
    _set_result(tx, a.id, ai_result_document(result, decision, a.now))
    reason = {"reason": decision.reason} if decision.reason else {}
    submission_transition(
        tx,
        id=a.id,
        to=_S.REVIEW_PENDING,
        values=decision_columns(decision, confidence=result.confidence),
        data={**ai_event(result, decision, a.where), "priority": priority_of(decision), **reason},
    )
    if decision.spot_check:
        spot = {"priority": "medium"}
        submission_event_append(tx, submission_id=a.id, kind=EventKind.SPOT_CHECK, data=spot)


def _finalize(tx: Tx, a: Applying) -> None:
    review, decision = a.incoming, a.decision
    assert isinstance(review, HumanReview)
    if a.status != _S.REVIEW_PENDING:
        a.to_processing(tx)
    previous = execute(tx, PREVIOUS_RESULT, {"id": a.id}).fetchone()
    document = review_document(previous[0] if previous else None, review, decision, a.now)
    reviewed = reviewed_event(review, decision, a.where)
    submission_event_append(tx, submission_id=a.id, kind=EventKind.REVIEWED, data=reviewed)
    completed = {"score": as_float(decision.score), "band": band_name(decision.band), **a.where}
    steps = [Step(_S.COMPLETED, completed)]
    _complete(tx, a, steps, document, reviewer_id=review.reviewer_id)


def _fail(tx: Tx, a: Applying) -> None:
    error = a.incoming
    assert isinstance(error, GraderError)
    a.to_processing(tx)
    failed = {
        "failureReason": a.decision.failure_reason,
        "attemptsMade": attempt_number(a.submission.state.failures),
        "code": error.code,
        "type": error.type,
        "lastError": error.message,
        **a.where,
    }
    submission_transition(tx, id=a.id, to=_S.FAILED, data=failed)


def _retry(tx: Tx, a: Applying) -> None:
    incoming = a.incoming
    assert isinstance(incoming, GraderError)
    a.to_processing(tx)
    error = {"code": incoming.code, "type": incoming.type, "error": incoming.message}
    submission_transition(tx, id=a.id, to=_S.ERROR, data={**error, **a.where})
    outbox_id = submission_redispatch(tx, submission_id=a.id, not_before=a.retry_at)
    retrying = {
        **error,
        "attempt": attempt_number(a.submission.state.failures) + 1,
        "outboxId": str(outbox_id),
        "notBefore": a.retry_at.isoformat() if a.retry_at else None,
        **a.where,
    }
    submission_transition(tx, id=a.id, to=_S.RETRYING, data=retrying)


def _store_late(tx: Tx, a: Applying) -> None:
    """Keep the late result for the record; status, score and progress stay as they are."""
    _set_result(tx, a.id, late_document(a.incoming, a.decision, a.now))
    execute(tx, MARK_LATE, {"id": a.id})
    late = {"score": as_float(a.decision.score), "band": band_name(a.decision.band), **a.where}
    submission_event_append(tx, submission_id=a.id, kind=EventKind.LATE_RESULT, data=late)


def _nothing(tx: Tx, a: Applying) -> None:
    """Only an event, where the verdict says why the result changed nothing."""
    kind = None
    if a.decision.verdict is Verdict.STALE:
        kind = EventKind.STALE_RESULT
    elif a.decision.verdict is Verdict.IGNORED and not isinstance(a.incoming, ProgressNote):
        kind = EventKind.RESULT_IGNORED
    if kind is not None:
        data = {"reason": a.decision.reason, **a.where}
        submission_event_append(tx, submission_id=a.id, kind=kind, data=data)


_HANDLERS: Mapping[Action, Callable[[Tx, Applying], None]] = {
    Action.PROGRESS: _progress,
    Action.COMPLETE: _complete_ai,
    Action.REVIEW: _review,
    Action.FINALIZE: _finalize,
    Action.FAIL: _fail,
    Action.RETRY: _retry,
    Action.STORE_LATE: _store_late,
    Action.NOTHING: _nothing,
}


def _complete(
    tx: Tx,
    a: Applying,
    steps: list[Step],
    document: dict[str, Any],
    *,
    reviewer_id: uuid.UUID | None = None,
    confidence: int | None = None,
) -> None:
    values = {**decision_columns(a.decision, confidence=confidence), "completed_at": a.now}
    if reviewer_id is not None:
        values["reviewer_id"] = reviewer_id
    submission = a.submission
    submission_complete(
        tx,
        id=submission.id,
        user_id=submission.user_id,
        skill=submission.skill,
        steps=steps,
        values=values,
        result=document,
        score=a.decision.score,
    )
    if submission.exam_session_id is not None:
        exam_part_final(
            tx,
            submission_id=submission.id,
            session_id=submission.exam_session_id,
            result=document,
            now=a.now,
        )


def _set_result(tx: Tx, sid: uuid.UUID, document: dict[str, Any]) -> None:
    execute(tx, SET_RESULT, {"id": sid, "result": jsonb(document)})
