"""Who may review, which confident results are also reviewed, and how a review merges.

Pure rules the decision (``domain.results.decide``) and the doors of a review use;
docs/scoring.md#review-merge and #confidence-and-routing describe them.
"""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.enums import GradingMode, QuestionLevel, UserRole, VstepBand
from domain.scoring import band_for_score, practice_level, round_half_up

if TYPE_CHECKING:
    from domain.results import AiResult, HumanReview

# The steps of the band scale for the review merge (A1 = 1 .. C1 = 5).
_STEP = {level.value: index for index, level in enumerate(QuestionLevel, start=1)}
AGREE_SCORE_DELTA = Decimal("0.5")
AGREE_MAX_STEPS = 1
AI_WEIGHT = Decimal("0.4")
HUMAN_WEIGHT = Decimal("0.6")


def spot_checked(rand: random.Random, rate: float) -> bool:
    """One draw: is this confident result also sent to review (SPOT_CHECK_RATE)?"""
    return rand.random() < rate


class SpotChecks:
    """Which confident writing and speaking results are also sent to review: ``rate`` of
    them (SPOT_CHECK_RATE), drawn at random; a seed (SPOT_CHECK_SEED) repeats the draws.

    Every door a machine result comes through (the worker's built-in grading, the
    callbacks of an external grader) draws here, once per result, in arrival order.
    """

    def __init__(self, rate: float, seed: int | None = None) -> None:
        self.rate = rate
        self._rand = random.Random(seed)

    def draw(self, result: AiResult) -> bool:
        """One draw for ``result``; never for one with nothing to doubt (objective, empty)."""
        return not result.certain and spot_checked(self._rand, self.rate)


# Who may review (users.role, docs/data-model.md#users-soft-delete): staff, never a learner.
REVIEWER_ROLES = frozenset({UserRole.INSTRUCTOR, UserRole.ADMIN})


def reviewer_refusal(
    reviewer_id: uuid.UUID, *, role: UserRole | None, deleted: bool, learner_id: uuid.UUID
) -> str | None:
    """Why ``reviewer_id`` may not review a submission of ``learner_id``; None if they may.

    ``role`` is None for no such user. A reviewer is an active instructor or admin, and
    never the submission's own learner (a member of staff may practise too).
    """
    if role is None:
        return f"no user {reviewer_id}"
    if deleted:
        return f"user {reviewer_id} is deleted"
    if reviewer_id == learner_id:
        return f"user {reviewer_id} is the submission's own learner"
    if role not in REVIEWER_ROLES:
        roles = " or ".join(sorted(r.value for r in REVIEWER_ROLES))
        return f"user {reviewer_id} is a {role.value}; a reviewer is an {roles}"
    return None


def _step(score: Decimal, band: VstepBand | None) -> int:
    # A score below B1 has no certificate band; its practice level places it on the scale.
    return _STEP[band.value if band is not None else practice_level(score).value]


def merge_review(
    ai_score: Decimal | None, ai_band: VstepBand | None, human: HumanReview
) -> tuple[Decimal, VstepBand | None, GradingMode, bool]:
    """(final score, band, mode, audit flag) of a human review (docs/scoring.md#review-merge).

    The reviewer's score is taken as given (one decimal) and the final score is rounded
    to the 0.5 grid once, at the end: 0.4 * 6.0 + 0.6 * 6.3 = 6.18 -> 6.0.
    """
    human_score = human.overall_score
    if ai_score is not None:
        close = abs(ai_score - human_score) <= AGREE_SCORE_DELTA
        steps = abs(_step(ai_score, ai_band) - _step(round_half_up(human_score), human.band))
        if close and steps <= AGREE_MAX_STEPS:
            final = round_half_up(AI_WEIGHT * ai_score + HUMAN_WEIGHT * human_score)
            return final, band_for_score(final), GradingMode.HYBRID, False
    # A discrepancy to study; with no AI result at all there is nothing to disagree with.
    final = round_half_up(human_score)
    return final, band_for_score(final), GradingMode.HUMAN, ai_score is not None
