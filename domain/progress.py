"""Learner progress rules (docs/scoring.md#progress): streaks, levels, scaffolding, trends.

Score sequences are chronological, oldest first, and include the newest score.
Means are kept as exact fractions and never rounded: rounding a mean would move
learners across level and scaffolding thresholds the rules do not draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from domain.enums import QuestionLevel, Skill, StreakDirection, VstepBand
from domain.scoring import band_for_score, practice_level

# How many recent scores the level and the trend look at.
RECENT_WINDOW = 10
# How many recent attempts the scaffolding mean covers.
SCAFFOLD_WINDOW = 3
SCAFFOLD_MIN = 1
SCAFFOLD_MAX = 3
# Trend thresholds, in score points (0-10).
INCONSISTENT_STDDEV = Fraction(3, 2)
TREND_DELTA = Fraction(1, 2)


class Trend(StrEnum):
    INSUFFICIENT_DATA = "insufficient_data"
    INCONSISTENT = "inconsistent"
    IMPROVING = "improving"
    DECLINING = "declining"
    STABLE = "stable"


def next_streak(
    previous_score: Decimal | None,
    previous_direction: StreakDirection | None,
    previous_count: int,
    score: Decimal,
) -> tuple[StreakDirection, int]:
    """Direction of ``score`` against the previous one and the new streak length."""
    if previous_score is None:
        return StreakDirection.NEUTRAL, 1
    if score > previous_score:
        direction = StreakDirection.UP
    elif score < previous_score:
        direction = StreakDirection.DOWN
    else:
        direction = StreakDirection.NEUTRAL
    if direction == previous_direction:
        return direction, previous_count + 1
    return direction, 1


def level_from_recent(scores: Sequence[Decimal]) -> QuestionLevel:
    """Practice level of the unrounded mean of the last 10 scores."""
    if not scores:
        raise ValueError("a level needs at least one score")
    return practice_level(_mean(scores[-RECENT_WINDOW:]))


_INITIAL_SCAFFOLD: Mapping[QuestionLevel, int] = {
    QuestionLevel.A1: 1,
    QuestionLevel.A2: 1,
    QuestionLevel.B1: 2,
    QuestionLevel.B2: 3,
    QuestionLevel.C1: 3,
}


def initial_scaffold_level(level: QuestionLevel) -> int:
    """Scaffold level a learner starts a skill at, from their practice level."""
    return _INITIAL_SCAFFOLD[level]


# Per skill and current level: the 3-attempt mean, in percent, at or above which the
# level goes up one step, and below which (two attempts in a row) it goes down one.
_SCAFFOLD_UP_PERCENT: Mapping[Skill, Mapping[int, int]] = {
    Skill.WRITING: {1: 80, 2: 75},
    Skill.LISTENING: {1: 80, 2: 80},
}
_SCAFFOLD_DOWN_PERCENT: Mapping[Skill, Mapping[int, int]] = {
    Skill.WRITING: {2: 60, 3: 65},
    Skill.LISTENING: {2: 50, 3: 50},
}


def next_scaffold_level(skill: Skill, current: int, scores: Sequence[Decimal]) -> int:
    """Scaffold level after the newest score; writing and listening only, one step at most."""
    if not SCAFFOLD_MIN <= current <= SCAFFOLD_MAX:
        raise ValueError(f"scaffold level {current} is outside {SCAFFOLD_MIN}..{SCAFFOLD_MAX}")
    if skill not in _SCAFFOLD_UP_PERCENT or len(scores) < SCAFFOLD_WINDOW:
        return current
    percent = _percent(scores[-SCAFFOLD_WINDOW:])
    up = _SCAFFOLD_UP_PERCENT[skill].get(current)
    if up is not None and percent >= up:
        return current + 1
    down = _SCAFFOLD_DOWN_PERCENT[skill].get(current)
    if (
        down is not None
        and len(scores) > SCAFFOLD_WINDOW
        and percent < down
        # Below after this attempt and after the one before it: one bad run is not enough.
        and _percent(scores[-SCAFFOLD_WINDOW - 1 : -1]) < down
    ):
        return current - 1
    return current


def trend(scores: Sequence[Decimal]) -> Trend:
    """Trend of the last 10 scores, for reports."""
    recent = [Fraction(score) for score in scores[-RECENT_WINDOW:]]
    if len(recent) < 3:
        return Trend.INSUFFICIENT_DATA
    mean = _mean(recent)
    variance = sum(((x - mean) ** 2 for x in recent), Fraction(0)) / (len(recent) - 1)
    # Compare squares: exact, and no square root of a fraction is needed.
    if variance >= INCONSISTENT_STDDEV**2:
        return Trend.INCONSISTENT
    if len(recent) < 6:
        return Trend.STABLE
    delta = _mean(recent[-3:]) - _mean(recent[-6:-3])
    if delta >= TREND_DELTA:
        return Trend.IMPROVING
    if delta <= -TREND_DELTA:
        return Trend.DECLINING
    return Trend.STABLE


_BAND_ORDER: tuple[VstepBand, ...] = tuple(VstepBand)


def estimated_band(skill_means: Mapping[Skill, Decimal | None]) -> VstepBand | None:
    """Lowest band among the skills that have data; None if one of them is below B1.

    A skill without data is skipped: it lowers confidence in the estimate, not the band.
    """
    bands = [band_for_score(mean) for mean in skill_means.values() if mean is not None]
    if not bands or None in bands:
        return None
    return min((band for band in bands if band is not None), key=_BAND_ORDER.index)


def _mean(values: Sequence[Decimal | Fraction]) -> Fraction:
    return sum((Fraction(value) for value in values), Fraction(0)) / len(values)


def _percent(values: Sequence[Decimal]) -> Fraction:
    return _mean(values) * 10


@dataclass(frozen=True)
class Progress:
    """A learner's progress in one skill, as user_progress keeps it."""

    current_level: QuestionLevel | None
    scaffold_level: int
    streak_count: int
    streak_direction: StreakDirection | None
    attempt_count: int


def record_score(
    skill: Skill, progress: Progress, earlier: Sequence[Decimal], score: Decimal
) -> Progress:
    """Progress after ``score``; ``earlier`` are the skill's scores before it, oldest first."""
    recent = [*earlier[-(RECENT_WINDOW - 1) :], score]
    previous = recent[-2] if len(recent) >= 2 else None
    direction, count = next_streak(
        previous, progress.streak_direction, progress.streak_count, score
    )
    level = level_from_recent(recent)
    scaffold = (
        initial_scaffold_level(level) if progress.attempt_count == 0 else progress.scaffold_level
    )
    return Progress(
        current_level=level,
        scaffold_level=next_scaffold_level(skill, scaffold, recent),
        streak_count=count,
        streak_direction=direction,
        attempt_count=progress.attempt_count + 1,
    )


def skill_mean(scores: Sequence[Decimal]) -> Decimal:
    """The exact mean of the last RECENT_WINDOW scores, as a Decimal for estimated_band."""
    mean = _mean(scores[-RECENT_WINDOW:])
    return Decimal(mean.numerator) / Decimal(mean.denominator)
