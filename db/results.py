"""The one path every grading result ends in: a decision applied in one transaction.

``result_lock`` reads the submission under its row lock, ``review_guard`` refuses a
review by anyone but an active member of staff, ``callback_claim`` writes the
inbox row (processed_callbacks) that makes a callback apply once, and ``result_apply``
carries out ``domain.results.decide``'s decision: the guarded transitions, their events,
the result document, progress, and (for a retry) the request sent again. Objective
grading, the callback actor and the HTTP endpoint all call these, in that order, in
one transaction of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from db.completion import submission_complete
from db.dispatch import submission_redispatch
from db.exams import exam_part_final
from db.models import (
    ProcessedCallback,
    Submission,
    SubmissionDetail,
    User,
)
from db.statements import Sql, Tx, execute
from db.submissions import Step, submission_event_append, submission_transition
from domain.enums import GradingMode, Skill, SubmissionStatus, VstepBand
from domain.errors import InvalidInput
from domain.events import EventKind
from domain.failures import TIMEOUT
from domain.results import (
    Action,
    AiResult,
    Decision,
    GraderError,
    HumanReview,
    Incoming,
    ProgressNote,
    SubmissionState,
    Verdict,
    reviewer_refusal,
)
from domain.retries import attempt_number

_S = SubmissionStatus

# The allowed way from each state into processing, where a result is recorded.
PATH_TO_PROCESSING: dict[SubmissionStatus, tuple[SubmissionStatus, ...]] = {
    # The message can outrun the relay's pending -> queued commit.
    _S.PENDING: (_S.QUEUED, _S.PROCESSING),
    _S.QUEUED: (_S.PROCESSING,),
    # Already there (an external grader's submission waits in processing for its result).
    _S.PROCESSING: (),
    _S.ERROR: (_S.RETRYING, _S.PROCESSING),
    _S.RETRYING: (_S.PROCESSING,),
}


@dataclass(frozen=True)
class LockedSubmission:
    id: uuid.UUID
    user_id: uuid.UUID
    skill: Skill
    deleted: bool
    state: SubmissionState
    # The exam session it is a part of, if any: its completion may complete the session.
    exam_session_id: uuid.UUID | None = None


# The submission with what a decision needs, under its row lock. The retry budget spent
# is counted as the worker's lock counts it (db/grading.py LOCK_FOR_GRADING): the error
# events since the newest start of a budget (submitted, or an operator's retry marked
# retryBudget).
RESULT_LOCK = Sql("""
    SELECT s.id, s.user_id, s.skill, s.deleted_at, s.status, s.request_id, s.deadline,
           s.grading_mode, s.score, s.band,
           (SELECT max(p.occurred_at) FROM submission_events p
            WHERE p.submission_id = s.id AND p.kind = 'progress') AS last_progress_at,
           (SELECT count(*) FROM submission_events e
            WHERE e.submission_id = s.id AND e.kind = 'error' AND NOT EXISTS (
                SELECT 1 FROM submission_events b
                WHERE b.submission_id = s.id AND b.occurred_at > e.occurred_at
                  AND (b.kind = 'submitted' OR b.data ->> 'retryBudget' IS NOT NULL)))
               AS failures,
           (SELECT x.session_id FROM exam_submissions x WHERE x.submission_id = s.id LIMIT 1)
               AS exam_session_id
    FROM submissions s
    WHERE s.id = %(id)s
    FOR UPDATE OF s
""")


def result_lock(session: Tx, *, submission_id: uuid.UUID) -> LockedSubmission | None:
    """The submission with what a decision needs, its row locked; None if there is none.

    Duplicate deliveries of one result wait here, then see what the first one did.
    """
    row = execute(session, RESULT_LOCK, {"id": submission_id}).fetchone()
    if row is None:
        return None
    status = SubmissionStatus(row.status)
    # Only a submission waiting for review holds an AI score to merge with.
    waiting = status == _S.REVIEW_PENDING
    return LockedSubmission(
        id=row.id,
        user_id=row.user_id,
        skill=Skill(row.skill),
        deleted=row.deleted_at is not None,
        state=SubmissionState(
            status=status,
            request_id=row.request_id,
            deadline=row.deadline,
            grading_mode=GradingMode(row.grading_mode) if row.grading_mode else None,
            ai_score=row.score if waiting else None,
            ai_band=VstepBand(row.band) if waiting and row.band else None,
            last_progress_at=row.last_progress_at,
            failures=row.failures,
        ),
        exam_session_id=row.exam_session_id,
    )


# Where a review names its reviewer, as a callback's sender wrote it.
REVIEWER_FIELD = "data.reviewerId"


def review_guard(session: Session, *, reviewer_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    """Refuse a reviewer who is not an active instructor or admin, or who is the
    submission's own learner: InvalidInput on ``data.reviewerId`` saying which.

    Every door a review comes through runs this before anything is written (the result
    path for callbacks, the claim of the review queue), so a refused review leaves no
    trace and a corrected one with the same eventId can still be applied.
    """
    row = session.execute(
        sa.select(User.role, User.deleted_at).where(User.id == reviewer_id)
    ).one_or_none()
    reason = reviewer_refusal(
        reviewer_id,
        role=row.role if row is not None else None,
        deleted=row is not None and row.deleted_at is not None,
        learner_id=learner_id,
    )
    if reason is not None:
        raise InvalidInput(REVIEWER_FIELD, reason)


def callback_claim(
    session: Session, *, event_id: uuid.UUID, request_id: uuid.UUID, submission_id: uuid.UUID
) -> bool:
    """Record the callback as processed; False when it already was (a replay)."""
    inserted = session.execute(
        pg_insert(ProcessedCallback)
        .values(event_id=event_id, request_id=request_id, submission_id=submission_id)
        .on_conflict_do_nothing(index_elements=[ProcessedCallback.event_id])
        .returning(ProcessedCallback.event_id)
    ).scalar_one_or_none()
    return inserted is not None


def advance_to_processing(
    session: Tx, *, id: uuid.UUID, status: SubmissionStatus, data: Mapping[str, Any]
) -> bool:
    """Walk the allowed path into processing; False when there is none (final, in review)."""
    path = PATH_TO_PROCESSING.get(status)
    if path is None:
        return False
    for step in path:
        submission_transition(session, id=id, to=step, data=data)
    return True


def result_apply(
    session: Tx,
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
    sid, status = submission.id, submission.state.status
    where = dict(source)
    if decision.timed_out:
        submission_transition(
            session,
            id=sid,
            to=_S.FAILED,
            data={"failureReason": TIMEOUT, "lastError": "a result came after the deadline"},
        )
    action = decision.action
    if action is Action.PROGRESS:
        assert isinstance(incoming, ProgressNote)
        data = {"progress": incoming.progress, "message": incoming.message, **where}
        submission_event_append(session, submission_id=sid, kind=EventKind.PROGRESS, data=data)
    elif action is Action.COMPLETE:
        assert isinstance(incoming, AiResult)
        steps = [
            *steps_to_processing(status, processing or where),
            Step(_S.COMPLETED, _ai_event(incoming, decision, where)),
        ]
        _complete(
            session,
            submission,
            decision,
            now,
            steps,
            ai_result_document(incoming, decision, now),
            # A writing or speaking result keeps its confidence on the row, as in review;
            # objective grading is exact and leaves the column alone.
            confidence=None if incoming.details else incoming.confidence,
        )
    elif action is Action.REVIEW:
        assert isinstance(incoming, AiResult)
        advance_to_processing(session, id=sid, status=status, data=where)
        _store_ai_result(session, sid, incoming, decision, now)
        submission_transition(
            session,
            id=sid,
            to=_S.REVIEW_PENDING,
            values=_scores(decision, confidence=incoming.confidence),
            data={
                **_ai_event(incoming, decision, where),
                "priority": _priority(decision),
                **({"reason": decision.reason} if decision.reason else {}),
            },
        )
        if decision.spot_check:
            submission_event_append(
                session, submission_id=sid, kind=EventKind.SPOT_CHECK, data={"priority": "medium"}
            )
    elif action is Action.FINALIZE:
        assert isinstance(incoming, HumanReview)
        if status != _S.REVIEW_PENDING:
            advance_to_processing(session, id=sid, status=status, data=where)
        document = _review_document(session, sid, incoming, decision, now)
        submission_event_append(
            session,
            submission_id=sid,
            kind=EventKind.REVIEWED,
            data={
                "reviewerId": str(incoming.reviewer_id),
                "humanScore": float(incoming.overall_score),
                "finalScore": float(decision.score) if decision.score is not None else None,
                "gradingMode": decision.grading_mode,
                "auditFlag": decision.audit_flag,
                **where,
            },
        )
        completed = {"score": _float(decision.score), "band": _band(decision.band), **where}
        _complete(
            session,
            submission,
            decision,
            now,
            [Step(_S.COMPLETED, completed)],
            document,
            reviewer_id=incoming.reviewer_id,
        )
    elif action is Action.FAIL:
        assert isinstance(incoming, GraderError)
        advance_to_processing(session, id=sid, status=status, data=where)
        submission_transition(
            session,
            id=sid,
            to=_S.FAILED,
            data={
                "failureReason": decision.failure_reason,
                "attemptsMade": attempt_number(submission.state.failures),
                "code": incoming.code,
                "type": incoming.type,
                "lastError": incoming.message,
                **where,
            },
        )
    elif action is Action.RETRY:
        assert isinstance(incoming, GraderError)
        advance_to_processing(session, id=sid, status=status, data=where)
        error = {"code": incoming.code, "type": incoming.type, "error": incoming.message}
        submission_transition(session, id=sid, to=_S.ERROR, data={**error, **where})
        outbox_id = submission_redispatch(session, submission_id=sid, not_before=retry_at)
        submission_transition(
            session,
            id=sid,
            to=_S.RETRYING,
            data={
                **error,
                "attempt": attempt_number(submission.state.failures) + 1,
                "outboxId": str(outbox_id),
                "notBefore": retry_at.isoformat() if retry_at else None,
                **where,
            },
        )
    elif action is Action.STORE_LATE:
        _store_late(session, sid, incoming, decision, now, where)
    elif decision.verdict is Verdict.STALE:
        submission_event_append(
            session,
            submission_id=sid,
            kind=EventKind.STALE_RESULT,
            data={"reason": decision.reason, **where},
        )
    elif decision.verdict is Verdict.IGNORED and not isinstance(incoming, ProgressNote):
        submission_event_append(
            session,
            submission_id=sid,
            kind=EventKind.RESULT_IGNORED,
            data={"reason": decision.reason, **where},
        )


def _complete(
    session: Tx,
    submission: LockedSubmission,
    decision: Decision,
    now: datetime,
    steps: list[Step],
    document: dict[str, Any],
    *,
    reviewer_id: uuid.UUID | None = None,
    confidence: int | None = None,
) -> None:
    values = {**_scores(decision, confidence=confidence), "completed_at": now}
    if reviewer_id is not None:
        values["reviewer_id"] = reviewer_id
    submission_complete(
        session,
        id=submission.id,
        user_id=submission.user_id,
        skill=submission.skill,
        steps=steps,
        values=values,
        result=document,
        score=decision.score,
    )
    if submission.exam_session_id is not None:
        exam_part_final(
            session,
            submission_id=submission.id,
            session_id=submission.exam_session_id,
            result=document,
            now=now,
        )


def steps_to_processing(status: SubmissionStatus, data: Mapping[str, Any]) -> list[Step]:
    """The steps from ``status`` into processing, each with ``data`` on its event."""
    return [Step(step, data) for step in PATH_TO_PROCESSING.get(status, ())]


def _scores(decision: Decision, *, confidence: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "score": decision.score,
        "band": decision.band,
        "grading_mode": decision.grading_mode,
        "audit_flag": decision.audit_flag,
        "review_priority": decision.review_priority,
    }
    if confidence is not None:
        values["confidence"] = confidence
    return values


def _ai_event(result: AiResult, decision: Decision, where: Mapping[str, Any]) -> dict[str, Any]:
    summary = {k: v for k, v in result.details.items() if k not in ("items", "gradedAt")}
    return {
        "score": _float(decision.score),
        "band": _band(decision.band),
        "confidence": result.confidence,
        "grader": result.grader,
        "auditFlag": decision.audit_flag,
        **summary,
        **where,
    }


def ai_result_document(result: AiResult, decision: Decision, now: datetime) -> dict[str, Any]:
    """The submission_details.result of a machine grader (docs/scoring.md#result-documents)."""
    if result.details:
        return dict(result.details)  # the objective grader's own document
    return {
        "overallScore": _float(result.overall_score),
        "band": _band(result.band),
        "criteriaScores": result.criteria_scores,
        "feedback": result.feedback,
        "confidence": result.confidence,
        "confidenceFactors": result.confidence_factors,
        "reviewPending": decision.action is Action.REVIEW,
        "reviewPriority": _priority(decision),
        "reviewReason": decision.reason if decision.action is Action.REVIEW else None,
        "gradingMode": decision.grading_mode,
        "auditFlag": decision.audit_flag,
        "grader": result.grader,
        "gradedAt": now.isoformat(),
    }


def _store_ai_result(
    session: Tx, sid: uuid.UUID, result: AiResult, decision: Decision, now: datetime
) -> None:
    _set_result(session, sid, ai_result_document(result, decision, now))


def _review_document(
    session: Tx, sid: uuid.UUID, review: HumanReview, decision: Decision, now: datetime
) -> dict[str, Any]:
    """The result document of a review: the AI's, the reviewer's and the final one."""
    previous = session.execute(
        sa.select(SubmissionDetail.result).where(SubmissionDetail.submission_id == sid)
    ).scalar_one_or_none()
    ai = previous.get("ai", previous) if isinstance(previous, dict) else None
    human = {
        "reviewerId": str(review.reviewer_id),
        "overallScore": _float(review.overall_score),
        "band": _band(review.band),
        "criteriaScores": review.criteria_scores,
        "feedback": review.feedback,
        "comment": review.comment,
        "reviewedAt": now.isoformat(),
    }
    final = {
        "overallScore": _float(decision.score),
        "band": _band(decision.band),
        "gradingMode": decision.grading_mode,
        "auditFlag": decision.audit_flag,
    }
    document = {
        **(ai or {}),
        **final,
        "reviewPending": False,
        "ai": ai,
        "human": human,
        "final": final,
    }
    return document


def _store_late(
    session: Tx,
    sid: uuid.UUID,
    incoming: Incoming,
    decision: Decision,
    now: datetime,
    where: Mapping[str, Any],
) -> None:
    """Keep the late result for the record; status, score and progress stay as they are."""
    if isinstance(incoming, AiResult):
        document = ai_result_document(incoming, decision, now)
    else:
        document = {"overallScore": _float(decision.score), "band": _band(decision.band)}
    _set_result(session, sid, {**document, "late": True, "receivedAt": now.isoformat()})
    session.execute(
        sa.update(Submission)
        .where(Submission.id == sid)
        .values(is_late=True, updated_at=sa.func.now())
    )
    submission_event_append(
        session,
        submission_id=sid,
        kind=EventKind.LATE_RESULT,
        data={"score": _float(decision.score), "band": _band(decision.band), **where},
    )


def _set_result(session: Tx, sid: uuid.UUID, document: dict[str, Any]) -> None:
    session.execute(
        sa.update(SubmissionDetail)
        .where(SubmissionDetail.submission_id == sid)
        .values(result=document, updated_at=sa.func.now())
    )


def _priority(decision: Decision) -> str | None:
    return decision.review_priority.value if decision.review_priority else None


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _band(value: VstepBand | None) -> str | None:
    return value.value if value is not None else None
