"""domain.results.decide: what a result means for a submission in its state (docs/scoring.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.enums import GradingMode, ReviewPriority, SubmissionStatus, VstepBand
from domain.results import (
    Action,
    AiResult,
    GraderError,
    HumanReview,
    ProgressNote,
    SubmissionState,
    Verdict,
    decide,
    route_by_confidence,
)
from domain.review_rules import merge_review

S = SubmissionStatus
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
REQUEST = uuid.uuid4()
REVIEWER = uuid.uuid4()


def state(status: S, *, deadline: datetime | None = None, **extra: object) -> SubmissionState:
    return SubmissionState(
        status=status,
        request_id=REQUEST,
        deadline=deadline or NOW + timedelta(minutes=10),
        grading_mode=None,
        **extra,  # type: ignore[arg-type]
    )


def ai(score: str = "7.5", confidence: int = 95) -> AiResult:
    return AiResult(overall_score=Decimal(score), band=VstepBand.B2, confidence=confidence)


def review(score: str, band: VstepBand | None) -> HumanReview:
    return HumanReview(reviewer_id=REVIEWER, overall_score=Decimal(score), band=band)


@pytest.mark.parametrize(
    ("confidence", "action", "priority", "audit"),
    [
        (100, Action.COMPLETE, None, False),
        (90, Action.COMPLETE, None, False),
        (89, Action.COMPLETE, ReviewPriority.LOW, True),
        (85, Action.COMPLETE, ReviewPriority.LOW, True),
        (84, Action.REVIEW, ReviewPriority.MEDIUM, False),
        (70, Action.REVIEW, ReviewPriority.MEDIUM, False),
        (69, Action.REVIEW, ReviewPriority.HIGH, False),
        (50, Action.REVIEW, ReviewPriority.HIGH, False),
        (49, Action.REVIEW, ReviewPriority.CRITICAL, False),
        (0, Action.REVIEW, ReviewPriority.CRITICAL, False),
    ],
)
def test_confidence_routes_as_the_table_says(
    confidence: int, action: Action, priority: ReviewPriority | None, audit: bool
) -> None:
    assert route_by_confidence(confidence) == (action, priority, audit)


def test_a_result_for_another_request_is_stale_whatever_the_state() -> None:
    for status in S:
        decision = decide(state(status), ai(), request_id=uuid.uuid4(), now=NOW)
        assert decision.verdict is Verdict.STALE and decision.action is Action.NOTHING


def test_a_confident_result_completes_and_a_spot_check_sends_it_to_review() -> None:
    done = decide(state(S.PROCESSING), ai(confidence=95), request_id=REQUEST, now=NOW)
    assert (done.verdict, done.action, done.grading_mode) == (
        Verdict.APPLIED,
        Action.COMPLETE,
        GradingMode.AUTO,
    )
    checked = decide(
        state(S.PROCESSING), ai(confidence=95), request_id=REQUEST, now=NOW, spot_check=True
    )
    assert (checked.action, checked.review_priority, checked.spot_check) == (
        Action.REVIEW,
        ReviewPriority.MEDIUM,
        True,
    )


def test_a_result_after_a_timeout_is_late_and_one_past_the_deadline_times_out_first() -> None:
    late = decide(state(S.FAILED), ai(), request_id=REQUEST, now=NOW)
    assert (late.verdict, late.action, late.timed_out) == (Verdict.LATE, Action.STORE_LATE, False)
    overdue = decide(
        state(S.PROCESSING, deadline=NOW - timedelta(seconds=1)), ai(), request_id=REQUEST, now=NOW
    )
    assert (overdue.verdict, overdue.timed_out) == (Verdict.LATE, True)


def test_a_second_result_after_a_final_one_is_ignored() -> None:
    for status in (S.COMPLETED, S.REVIEW_PENDING):
        decision = decide(state(status), ai(), request_id=REQUEST, now=NOW)
        assert decision.verdict is Verdict.IGNORED


def test_progress_is_ignored_after_a_final_state_and_throttled() -> None:
    note = ProgressNote(0.5, "half way")
    assert decide(state(S.COMPLETED), note, request_id=REQUEST, now=NOW).verdict is Verdict.IGNORED
    recent = state(S.PROCESSING, last_progress_at=NOW - timedelta(seconds=2))
    throttled = decide(recent, note, request_id=REQUEST, now=NOW, progress_throttle_seconds=5)
    assert throttled.verdict is Verdict.IGNORED
    fresh = decide(
        state(S.PROCESSING), note, request_id=REQUEST, now=NOW, progress_throttle_seconds=5
    )
    assert (fresh.verdict, fresh.action) == (Verdict.APPLIED, Action.PROGRESS)


def test_grader_errors_retry_when_retryable_and_fail_otherwise() -> None:
    retry = GraderError("timeout", "UPSTREAM_TIMEOUT", "model timed out", retryable=True)
    fatal = GraderError("input", "AUDIO_UNREADABLE", "cannot decode audio", retryable=False)
    assert decide(state(S.PROCESSING), retry, request_id=REQUEST, now=NOW).action is Action.RETRY
    assert decide(state(S.PROCESSING), fatal, request_id=REQUEST, now=NOW).action is Action.FAIL
    assert decide(state(S.COMPLETED), fatal, request_id=REQUEST, now=NOW).verdict is Verdict.IGNORED


@pytest.mark.parametrize(
    ("ai_score", "ai_band", "human_score", "human_band", "expected"),
    [
        # agree: within 0.5 and at most one band step apart: 0.4 ai + 0.6 human, half up
        (
            "7.0",
            VstepBand.B2,
            "7.5",
            VstepBand.B2,
            ("7.5", VstepBand.B2, GradingMode.HYBRID, False),
        ),
        (
            "6.0",
            VstepBand.B2,
            "5.5",
            VstepBand.B1,
            ("5.5", VstepBand.B1, GradingMode.HYBRID, False),
        ),
        # 0.4 * 8.5 + 0.6 * 8.0 = 8.2 -> 8.0
        (
            "8.5",
            VstepBand.C1,
            "8.0",
            VstepBand.B2,
            ("8.0", VstepBand.B2, GradingMode.HYBRID, False),
        ),
        # disagree: more than 0.5 apart, the human result stands, flagged for audit
        ("7.0", VstepBand.B2, "5.0", VstepBand.B1, ("5.0", VstepBand.B1, GradingMode.HUMAN, True)),
    ],
)
def test_the_human_review_merge(
    ai_score: str,
    ai_band: VstepBand,
    human_score: str,
    human_band: VstepBand,
    expected: tuple[str, VstepBand | None, GradingMode, bool],
) -> None:
    score, band, mode, audit = merge_review(
        Decimal(ai_score), ai_band, review(human_score, human_band)
    )
    assert (score, band, mode, audit) == (Decimal(expected[0]), *expected[1:])


def test_a_review_finalizes_once_and_one_that_outran_the_ai_result_stands_alone() -> None:
    waiting = state(S.REVIEW_PENDING, ai_score=Decimal("7.0"), ai_band=VstepBand.B2)
    merged = decide(waiting, review("7.5", VstepBand.B2), request_id=REQUEST, now=NOW)
    assert (merged.action, merged.grading_mode, merged.score) == (
        Action.FINALIZE,
        GradingMode.HYBRID,
        Decimal("7.5"),
    )
    early = decide(state(S.PROCESSING), review("6.0", VstepBand.B2), request_id=REQUEST, now=NOW)
    assert (early.action, early.grading_mode, early.audit_flag) == (
        Action.FINALIZE,
        GradingMode.HUMAN,
        False,
    )
    again = decide(state(S.COMPLETED), review("6.0", VstepBand.B2), request_id=REQUEST, now=NOW)
    assert again.verdict is Verdict.IGNORED


def test_a_retryable_grader_error_fails_once_the_retry_budget_is_spent() -> None:
    retry = GraderError("timeout", "UPSTREAM_TIMEOUT", "model timed out", retryable=True)
    spent = state(S.RETRYING, failures=3)
    decision = decide(spent, retry, request_id=REQUEST, now=NOW, max_retries=3)
    assert (decision.action, decision.failure_reason) == (Action.FAIL, "MAX_RETRIES")
    fresh = decide(state(S.PROCESSING, failures=2), retry, request_id=REQUEST, now=NOW)
    assert fresh.action is Action.RETRY
