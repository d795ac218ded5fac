"""What a decision writes, as plain documents: the result, its event data, its columns.

``db/result_apply.py`` stores these; nothing here does I/O. The shapes of the result
documents are described in docs/scoring.md#result-documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.enums import VstepBand
from domain.results import Action, AiResult, Decision, HumanReview, Incoming

# The submissions columns a decision sets, named as its fields are.
_DECISION_COLUMNS = ("score", "band", "grading_mode", "audit_flag", "review_priority")


def decision_columns(decision: Decision, *, confidence: int | None = None) -> dict[str, Any]:
    """The submission's columns for a decided result (and its confidence, when kept)."""
    values = {name: getattr(decision, name) for name in _DECISION_COLUMNS}
    if confidence is not None:
        values["confidence"] = confidence
    return values


def priority_of(decision: Decision) -> str | None:
    return decision.review_priority.value if decision.review_priority else None


def as_float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def band_name(value: VstepBand | None) -> str | None:
    return value.value if value is not None else None


def ai_event(result: AiResult, decision: Decision, where: Mapping[str, Any]) -> dict[str, Any]:
    """The data of the event a machine result is recorded with (completed, review_requested)."""
    summary = {k: v for k, v in result.details.items() if k not in ("items", "gradedAt")}
    return {
        "score": as_float(decision.score),
        "band": band_name(decision.band),
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
        "overallScore": as_float(result.overall_score),
        "band": band_name(result.band),
        "criteriaScores": result.criteria_scores,
        "feedback": result.feedback,
        "confidence": result.confidence,
        "confidenceFactors": result.confidence_factors,
        "reviewPending": decision.action is Action.REVIEW,
        "reviewPriority": priority_of(decision),
        "reviewReason": decision.reason if decision.action is Action.REVIEW else None,
        "gradingMode": decision.grading_mode,
        "auditFlag": decision.audit_flag,
        "grader": result.grader,
        "gradedAt": now.isoformat(),
    }


def review_document(
    previous: Any, review: HumanReview, decision: Decision, now: datetime
) -> dict[str, Any]:
    """The result document of a review: the AI's (``previous``, as stored), the
    reviewer's and the final one."""
    ai = previous.get("ai", previous) if isinstance(previous, dict) else None
    human = {
        "reviewerId": str(review.reviewer_id),
        "overallScore": as_float(review.overall_score),
        "band": band_name(review.band),
        "criteriaScores": review.criteria_scores,
        "feedback": review.feedback,
        "comment": review.comment,
        "reviewedAt": now.isoformat(),
    }
    final = {
        "overallScore": as_float(decision.score),
        "band": band_name(decision.band),
        "gradingMode": decision.grading_mode,
        "auditFlag": decision.audit_flag,
    }
    return {**(ai or {}), **final, "reviewPending": False, "ai": ai, "human": human, "final": final}


def late_document(incoming: Incoming, decision: Decision, now: datetime) -> dict[str, Any]:
    """A result kept for the record after the deadline; the submission's status stays."""
    if isinstance(incoming, AiResult):
        document = ai_result_document(incoming, decision, now)
    else:
        document = {"overallScore": as_float(decision.score), "band": band_name(decision.band)}
    return {**document, "late": True, "receivedAt": now.isoformat()}


def reviewed_event(
    review: HumanReview, decision: Decision, where: Mapping[str, Any]
) -> dict[str, Any]:
    """The data of the reviewed event: what the reviewer gave and what became final."""
    return {
        "reviewerId": str(review.reviewer_id),
        "humanScore": float(review.overall_score),
        "finalScore": as_float(decision.score),
        "gradingMode": decision.grading_mode,
        "auditFlag": decision.audit_flag,
        **where,
    }
