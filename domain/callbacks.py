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
from domain.results import AiResult, GraderError, HumanReview, Incoming, ProgressNote
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


class _Data(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class _Criterion(_Data):
    score: Decimal | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    comment: str | None = None


def _score_alone(value: object) -> object:
    """A criterion given as its bare score ("grammar": 6.5) is {"score": 6.5}, so a bad
    score is named as one (criteriaScores.grammar.score), not as a failed union."""
    if isinstance(value, int | float | str | Decimal) and not isinstance(value, bool):
        return {"score": value}
    return value


_CriterionGiven = Annotated[_Criterion | None, BeforeValidator(_score_alone)]


class _AiResult(_Data):
    overall_score: Decimal = Field(ge=SCORE_MIN, le=SCORE_MAX)
    band: VstepBand | None = None
    criteria_scores: dict[str, _CriterionGiven] = Field(default_factory=dict)
    feedback: dict[str, Any] | None = None
    confidence: Decimal = Field(ge=0, le=100)
    confidence_factors: dict[str, Any] | None = None
    grader: str | None = None


class _Completed(_Data):
    result: _AiResult


class _Error(_Data):
    type: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=100)
    message: str = Field(max_length=2000)
    retryable: StrictBool


class _ErrorData(_Data):
    error: _Error


class _Review(_Data):
    reviewer_id: UUID
    # Kept as given, so one decimal at most: the merge rounds once, at the end.
    overall_score: Decimal = Field(ge=SCORE_MIN, le=SCORE_MAX, decimal_places=1)
    band: VstepBand | None = None
    criteria_scores: dict[str, _CriterionGiven] | None = None
    feedback: dict[str, Any] | None = None
    comment: str | None = Field(default=None, max_length=10_000)


class _Progress(_Data):
    progress: float | None = Field(default=None, ge=0, le=1)
    message: str | None = Field(default=None, max_length=1000)


_ONE_DECIMAL = Decimal("0.1")

_MODELS: dict[CallbackKind, type[_Data]] = {
    CallbackKind.COMPLETED: _Completed,
    CallbackKind.ERROR: _ErrorData,
    CallbackKind.REVIEW: _Review,
    CallbackKind.PROGRESS: _Progress,
}


def incoming_of(callback: GradingCallback, skill: Skill) -> Incoming:
    """The callback's data for a submission of ``skill``; InvalidInput names the bad field."""
    try:
        data = _MODELS[callback.kind].model_validate(callback.data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise InvalidInput(".".join(["data", *map(str, first["loc"])]), first["msg"]) from None
    if isinstance(data, _Completed):
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
    if isinstance(data, _ErrorData):
        error = data.error
        return GraderError(error.type, error.code, error.message, error.retryable)
    if isinstance(data, _Review):
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
    assert isinstance(data, _Progress)
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
        criterion = value if value is not None else _Criterion()
        out[name] = {
            "score": float(criterion.score) if criterion.score is not None else None,
            "comment": criterion.comment,
        }
    return out
