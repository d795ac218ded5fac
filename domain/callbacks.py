"""The ``data`` of a grading.callback, validated per kind into what ``decide`` takes.

InvalidInput names the field as the sender wrote it (``data.result.overallScore``), so
an HTTP sender gets a 422 it can act on and a queue sender an event that says why.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError
from pydantic.alias_generators import to_camel

from domain.enums import Skill, VstepBand
from domain.errors import InvalidInput
from domain.messages import CallbackKind, GradingCallback
from domain.results import (
    AUTO_AUDIT_MIN,
    AUTO_COMPLETE_MIN,
    AiResult,
    GraderError,
    HumanReview,
    Incoming,
    ProgressNote,
)
from domain.review_rules import AI_WEIGHT, HUMAN_WEIGHT
from domain.scoring import band_for_score, round_half_up

# The criteria of each skill (docs/scoring.md#numbers): the keys of criteriaScores.
CRITERIA: dict[Skill, tuple[str, ...]] = {
    Skill.WRITING: ("taskFulfillment", "organization", "vocabulary", "grammar"),
    Skill.SPEAKING: ("grammar", "vocabulary", "pronunciation", "fluency", "discourseManagement"),
}
SCORE_MIN, SCORE_MAX = 0, 10
# The bands a score can have (docs/scoring.md#numbers: B1, B2, C1; none below 4.0), in order.
CERTIFICATE_BANDS: tuple[VstepBand, ...] = tuple(
    band for band in VstepBand if band in {band_for_score(Decimal(h) / 2) for h in range(21)}
)


def _band_text() -> str:
    """Each certificate band from the lowest score that has it, from band_for_score."""
    lowest = {
        band: min(h for h in range(21) if band_for_score(Decimal(h) / 2) == band) / 2
        for band in CERTIFICATE_BANDS
    }
    bands = ", ".join(f"{band.value} >= {score:.1f}" for band, score in reversed(lowest.items()))
    return (
        f"The certificate band of the score ({bands}, none below); optional, and refused "
        "when it contradicts the score or no score has it."
    )


_BAND_TEXT = _band_text()
_FEEDBACK_TEXT = "Free-form feedback for the learner, e.g. {strengths, weaknesses, suggestions}."
_CRITERIA_TEXT = (
    "Scores per criterion. "
    + " ".join(
        f"{skill.value.capitalize()}: {', '.join(crit)}." for skill, crit in CRITERIA.items()
    )
    + " A criterion of another skill is refused (422). Each is {score, comment} or a bare "
    "score; null where it cannot be judged."
)


class _Data(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


Score = Annotated[Decimal, Field(ge=SCORE_MIN, le=SCORE_MAX)]


class Criterion(_Data):
    """One criterion's score and comment."""

    score: Score | None = Field(
        default=None, description=f"{SCORE_MIN}-{SCORE_MAX}; null where it cannot be judged."
    )
    comment: str | None = None


def _score_alone(value: object) -> object:
    """A criterion given as its bare score ("grammar": 6.5) is {"score": 6.5}, so a bad
    score is named as one (criteriaScores.grammar.score), not as a failed union."""
    if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
        return {"score": value}
    return value


_CriterionGiven = Annotated[
    Criterion | None,
    BeforeValidator(_score_alone, json_schema_input_type=Criterion | Score | None),
]


class AiResultData(_Data):
    """The AI grader's result."""

    overall_score: Score = Field(
        description=f"{SCORE_MIN}-{SCORE_MAX}; rounded half up to a multiple of 0.5."
    )
    band: VstepBand | None = Field(default=None, description=_BAND_TEXT)
    criteria_scores: dict[str, _CriterionGiven] = Field(
        default_factory=dict, description=_CRITERIA_TEXT
    )
    feedback: dict[str, Any] | None = Field(default=None, description=_FEEDBACK_TEXT)
    confidence: Decimal = Field(ge=0, le=100, description="0-100, rounded half up to an integer.")
    confidence_factors: dict[str, Any] | None = None
    grader: str | None = Field(
        default=None, description="Name/version of the grader; 'external' when not given."
    )


class CompletedData(_Data):
    __doc__ = (
        "An AI result. Final: completed at once, or sent to human review by confidence "
        f"({AUTO_COMPLETE_MIN}-100 completed; {AUTO_AUDIT_MIN}-{AUTO_COMPLETE_MIN - 1} "
        f"completed and audited; below {AUTO_AUDIT_MIN} review)."
    )

    result: AiResultData


class GraderErrorData(_Data):
    """Why the grader could not grade it."""

    type: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=100)
    message: str = Field(max_length=2000)
    retryable: StrictBool = Field(
        description="true: the request is sent again (within the retry budget); false: the "
        "submission fails with the code and message."
    )


class ErrorData(_Data):
    """The grader could not grade it."""

    error: GraderErrorData


class ReviewData(_Data):
    __doc__ = (
        "A human reviewer's result, merged with the AI result: where the two agree the "
        f"final score is {AI_WEIGHT} * AI + {HUMAN_WEIGHT} * human, otherwise the human "
        "result stands and is flagged. One finalization per submission."
    )

    reviewer_id: UUID = Field(
        description="An active (not deleted) instructor or admin, never the submission's own "
        "learner; anyone else is refused (422, field data.reviewerId) and nothing is written."
    )
    # Kept as given, so one decimal at most: the merge rounds once, at the end.
    overall_score: Score = Field(
        decimal_places=1,
        description=f"{SCORE_MIN}-{SCORE_MAX}, at most one decimal (6.35 is refused); kept "
        "as given, and the final score is rounded half up to 0.5 once, after the merge "
        f"({AI_WEIGHT} * 6.0 + {HUMAN_WEIGHT} * 6.3 = 6.18 -> 6.0).",
    )
    band: VstepBand | None = Field(default=None, description=_BAND_TEXT)
    criteria_scores: dict[str, _CriterionGiven] | None = Field(
        default=None, description=_CRITERIA_TEXT
    )
    feedback: dict[str, Any] | None = Field(default=None, description=_FEEDBACK_TEXT)
    comment: str | None = Field(default=None, max_length=10_000)


class ProgressData(_Data):
    """Best effort: dropped after a final state or within a few seconds of the previous one."""

    progress: float | None = Field(default=None, ge=0, le=1, description="0-1, done so far.")
    message: str | None = Field(default=None, max_length=1000)


_ONE_DECIMAL = Decimal("0.1")

# The model of each kind's data: what validates it, and what the OpenAPI document shows.
DATA_MODELS: dict[CallbackKind, type[BaseModel]] = {
    CallbackKind.PROGRESS: ProgressData,
    CallbackKind.COMPLETED: CompletedData,
    CallbackKind.ERROR: ErrorData,
    CallbackKind.REVIEW: ReviewData,
}


def incoming_of(callback: GradingCallback, skill: Skill) -> Incoming:
    """The callback's data for a submission of ``skill``; InvalidInput names the bad field."""
    try:
        data = DATA_MODELS[callback.kind].model_validate(callback.data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise InvalidInput(".".join(["data", *map(str, first["loc"])]), first["msg"]) from None
    if isinstance(data, CompletedData):
        result = data.result
        score = _score("data.result", result.overall_score, result.band)
        return AiResult(
            overall_score=score,
            band=band_for_score(score),
            # Clamped by validation; rounded half up to an integer before routing.
            confidence=int((result.confidence + Decimal("0.5")).to_integral_value(ROUND_FLOOR)),
            criteria_scores=_criteria("data.result.criteriaScores", result.criteria_scores, skill),
            feedback=result.feedback,
            confidence_factors=result.confidence_factors,
            grader=result.grader or "external",
        )
    if isinstance(data, ErrorData):
        error = data.error
        return GraderError(error.type, error.code, error.message, error.retryable)
    if isinstance(data, ReviewData):
        given = data.overall_score.quantize(_ONE_DECIMAL)
        return HumanReview(
            reviewer_id=data.reviewer_id,
            overall_score=given,
            band=band_for_score(_score("data", given, data.band)),
            criteria_scores=(
                _criteria("data.criteriaScores", data.criteria_scores, skill)
                if data.criteria_scores is not None
                else None
            ),
            feedback=data.feedback,
            comment=data.comment,
        )
    assert isinstance(data, ProgressData)
    return ProgressNote(data.progress, data.message)


def _score(where: str, raw: Decimal, band: VstepBand | None) -> Decimal:
    """The score on the 0.5 grid, rounded half up; a band that contradicts it is refused."""
    score = round_half_up(raw)
    expected = band_for_score(score)
    if band is None or band == expected:
        return score
    bands = ", ".join(b.value for b in CERTIFICATE_BANDS)
    if band not in CERTIFICATE_BANDS:
        reason = f"{band.value} is not a band a score can have ({bands}; none below 4.0)"
    else:
        counts = f" ({raw} counts as {score})" if score != raw else ""
        its = f"which is {expected.value}" if expected else "a score below 4.0 has none"
        reason = f"{band.value} is not the band of the score {raw}, {its}{counts}"
    raise InvalidInput(f"{where}.band", reason)


def _criteria(where: str, raw: dict[str, _CriterionGiven], skill: Skill) -> dict[str, Any]:
    """criteriaScores as {criterion: {score, comment}}, only the skill's criteria."""
    known = CRITERIA.get(skill, ())
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidInput(
            f"{where}.{unknown[0]}", f"not a {skill.value} criterion ({', '.join(known)})"
        )
    out: dict[str, Any] = {}
    for name, value in raw.items():
        criterion = value if value is not None else Criterion()
        out[name] = {
            "score": float(criterion.score) if criterion.score is not None else None,
            "comment": criterion.comment,
        }
    return out
