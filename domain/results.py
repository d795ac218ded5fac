"""What a grading result means for a submission in its state: one pure decision.

Every door a result comes through (objective grading in the worker, the callback actor,
the HTTP endpoint) asks ``decide`` and hands the decision to the one function in
``db/results.py`` that applies it in one transaction. Nothing here does I/O: time,
the spot-check draw and the submission's state come in as arguments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.enums import (
    GradingMode,
    ReviewPriority,
    SubmissionStatus,
    VstepBand,
)
from domain.failures import GRADER_ERROR, MAX_RETRIES
from domain.retries import budget_spent
from domain.review_rules import merge_review
from domain.scoring import band_for_score, round_half_up
from domain.states import TIMEOUT_ELIGIBLE

_S = SubmissionStatus


class Verdict(StrEnum):
    """The answer a sender hears (HTTP 200 bodies; 409 for STALE)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    LATE = "late"
    STALE = "stale"


class Action(StrEnum):
    """What the apply function does to the submission."""

    # completed, with the result, progress counted.
    COMPLETE = "complete"
    # review_pending with a priority, the AI result kept for the reviewer.
    REVIEW = "review"
    # a human review finalizes it (merged with the AI result, or standing alone).
    FINALIZE = "finalize"
    # failed with the grader's code and message.
    FAIL = "fail"
    # error -> retrying, and the request goes to the grader again.
    RETRY = "retry"
    # a progress event, nothing else.
    PROGRESS = "progress"
    # stored with is_late; the status stays failed and progress is untouched.
    STORE_LATE = "store_late"
    # nothing but (where the verdict says so) an event.
    NOTHING = "nothing"


@dataclass(frozen=True)
class AiResult:
    """A machine grader's result for writing or speaking (or the objective grader's)."""

    # None: nothing could be scored (a speaking answer without a transcript).
    overall_score: Decimal | None
    band: VstepBand | None
    confidence: int
    criteria_scores: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] | None = None
    confidence_factors: dict[str, Any] | None = None
    grader: str = "external"
    # Objective grading's own details (correctCount, items ...), kept in the result.
    details: dict[str, Any] = field(default_factory=dict)
    # A person must look whatever the confidence says, and why (pronunciation unjudged).
    review_reason: str | None = None
    # A clear sign of cheating (a near copy together with broken rules), and what it is.
    cheating_signal: str | None = None
    # Nothing for a person to doubt (an unanswered exam part): no spot check either.
    certain: bool = False


@dataclass(frozen=True)
class HumanReview:
    reviewer_id: uuid.UUID
    # As the reviewer gave it (0-10, one decimal): the merge rounds once, at the end.
    overall_score: Decimal
    # The band of that score as it would be reported (rounded to the 0.5 grid).
    band: VstepBand | None
    criteria_scores: dict[str, Any] | None = None
    feedback: dict[str, Any] | None = None
    comment: str | None = None


@dataclass(frozen=True)
class GraderError:
    type: str
    code: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class ProgressNote:
    progress: float | None
    message: str | None


Incoming = AiResult | HumanReview | GraderError | ProgressNote


@dataclass(frozen=True)
class SubmissionState:
    """What the decision needs of the submission row, read under its row lock."""

    status: SubmissionStatus
    request_id: uuid.UUID | None
    deadline: datetime | None
    grading_mode: GradingMode | None
    # The AI result waiting for review (review_pending), for the merge.
    ai_score: Decimal | None = None
    ai_band: VstepBand | None = None
    last_progress_at: datetime | None = None
    # Grading failures of the current retry budget (its error events since the budget
    # started, counted under the row lock): what domain/retries.py budget_spent reads.
    failures: int = 0


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    action: Action
    reason: str = ""
    # For COMPLETE / REVIEW / FINALIZE:
    score: Decimal | None = None
    band: VstepBand | None = None
    grading_mode: GradingMode | None = None
    review_priority: ReviewPriority | None = None
    audit_flag: bool = False
    spot_check: bool = False
    # The deadline passed while it was still being graded: fail it TIMEOUT first.
    timed_out: bool = False
    # For FAIL: the failureReason recorded.
    failure_reason: str | None = None


# Confidence routing (docs/scoring.md#confidence-and-routing): lowest confidence of each row.
AUTO_COMPLETE_MIN = 90
AUTO_AUDIT_MIN = 85
REVIEW_MEDIUM_MIN = 70
REVIEW_HIGH_MIN = 50


def route_by_confidence(confidence: int) -> tuple[Action, ReviewPriority | None, bool]:
    """(COMPLETE or REVIEW, review priority, audit flag) for a confidence 0..100."""
    if confidence >= AUTO_COMPLETE_MIN:
        return Action.COMPLETE, None, False
    if confidence >= AUTO_AUDIT_MIN:
        return Action.COMPLETE, ReviewPriority.LOW, True
    if confidence >= REVIEW_MEDIUM_MIN:
        return Action.REVIEW, ReviewPriority.MEDIUM, False
    if confidence >= REVIEW_HIGH_MIN:
        return Action.REVIEW, ReviewPriority.HIGH, False
    return Action.REVIEW, ReviewPriority.CRITICAL, False


def decide(
    state: SubmissionState,
    incoming: Incoming,
    *,
    request_id: uuid.UUID,
    now: datetime,
    spot_check: bool = False,
    progress_throttle_seconds: float = 0.0,
    max_retries: int = 3,
) -> Decision:
    """What ``incoming`` (answering ``request_id``) does to a submission in ``state``."""
    if request_id != state.request_id:
        return Decision(Verdict.STALE, Action.NOTHING, f"current request is {state.request_id}")
    status = state.status
    past_deadline = state.deadline is not None and now > state.deadline
    if isinstance(incoming, ProgressNote):
        if status not in TIMEOUT_ELIGIBLE or past_deadline:
            return Decision(Verdict.IGNORED, Action.NOTHING, f"status is {status.value}")
        if state.last_progress_at is not None and (
            (now - state.last_progress_at).total_seconds() < progress_throttle_seconds
        ):
            return Decision(Verdict.IGNORED, Action.NOTHING, "progress throttled")
        return Decision(Verdict.APPLIED, Action.PROGRESS)
    if isinstance(incoming, GraderError):
        if status not in TIMEOUT_ELIGIBLE:
            return Decision(Verdict.IGNORED, Action.NOTHING, f"status is {status.value}")
        if past_deadline:
            return Decision(Verdict.LATE, Action.NOTHING, "past the deadline", timed_out=True)
        if not incoming.retryable:
            return Decision(Verdict.APPLIED, Action.FAIL, failure_reason=GRADER_ERROR)
        if budget_spent(state.failures, max_retries):
            return Decision(
                Verdict.APPLIED, Action.FAIL, "retries spent", failure_reason=MAX_RETRIES
            )
        return Decision(Verdict.APPLIED, Action.RETRY)
    if isinstance(incoming, HumanReview):
        return _decide_review(state, incoming, past_deadline=past_deadline)
    return _decide_result(state, incoming, past_deadline=past_deadline, spot_check=spot_check)


def _decide_result(
    state: SubmissionState, result: AiResult, *, past_deadline: bool, spot_check: bool
) -> Decision:
    status = state.status
    if status == _S.FAILED:
        return _late(result.overall_score, result.band)
    if status not in TIMEOUT_ELIGIBLE:
        # completed or in review already: a result is final once.
        return Decision(Verdict.IGNORED, Action.NOTHING, f"status is {status.value}")
    if past_deadline:
        return _late(result.overall_score, result.band, timed_out=True)
    action, priority, audit = route_by_confidence(result.confidence)
    reason, checked = "", False
    if result.cheating_signal is not None:
        # Whatever the score and the confidence.
        action, priority, audit = Action.REVIEW, ReviewPriority.CRITICAL, True
        reason = result.cheating_signal
    elif result.overall_score is None:
        # Nothing was scored, so there is no confidence to read the table with.
        action, priority, audit = Action.REVIEW, ReviewPriority.HIGH, False
        reason = result.review_reason or "no score"
    elif result.review_reason is not None:
        if action is Action.COMPLETE:
            action, priority, audit = Action.REVIEW, ReviewPriority.MEDIUM, False
        reason = result.review_reason
    elif action is Action.COMPLETE and spot_check and not result.certain:
        action, priority, checked = Action.REVIEW, ReviewPriority.MEDIUM, True
        reason = "spot check"
    routed = Decision(Verdict.APPLIED, action, reason, review_priority=priority)
    scored = replace(routed, score=result.overall_score, band=result.band)
    return replace(scored, grading_mode=GradingMode.AUTO, audit_flag=audit, spot_check=checked)


def _decide_review(state: SubmissionState, review: HumanReview, *, past_deadline: bool) -> Decision:
    status = state.status
    if status == _S.COMPLETED:
        # One finalization per submission; an automatic completion is not reviewed after.
        return Decision(Verdict.IGNORED, Action.NOTHING, "already final")
    # A late review is kept as the score it would have given alone.
    late_score = round_half_up(review.overall_score)
    if status == _S.FAILED:
        return _late(late_score, band_for_score(late_score))
    if status in TIMEOUT_ELIGIBLE and past_deadline:
        return _late(late_score, band_for_score(late_score), timed_out=True)
    # review_pending merges with the AI result; a review that outran the AI result
    # (out of order) stands alone, and the AI result that follows finds it final.
    ai_score = state.ai_score if status == _S.REVIEW_PENDING else None
    ai_band = state.ai_band if status == _S.REVIEW_PENDING else None
    score, band, mode, audit = merge_review(ai_score, ai_band, review)
    return Decision(
        Verdict.APPLIED,
        Action.FINALIZE,
        score=score,
        band=band,
        grading_mode=mode,
        audit_flag=audit,
    )


def _late(score: Decimal | None, band: VstepBand | None, *, timed_out: bool = False) -> Decision:
    return Decision(
        Verdict.LATE,
        Action.STORE_LATE,
        "after the deadline",
        score=score,
        band=band,
        timed_out=timed_out,
    )
