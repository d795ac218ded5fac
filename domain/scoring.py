"""VSTEP score arithmetic: half-up rounding, certificate bands, practice levels.

Every rule here works on exact rationals. Binary floats cannot hold 2.25 or 8.75
reliably and Python's ``round`` rounds halves to even, so both would move
learners across band boundaries (docs/scoring.md#numbers).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from domain.enums import QuestionLevel, VstepBand
from domain.errors import InvalidInput

# Scores are reported with one decimal place, always a multiple of 0.5.
_ONE_DECIMAL = Decimal("0.1")

# Thresholds are inclusive lower bounds, highest first, so the first match wins.
_BAND_THRESHOLDS: tuple[tuple[Fraction, VstepBand], ...] = (
    (Fraction(17, 2), VstepBand.C1),
    (Fraction(6), VstepBand.B2),
    (Fraction(4), VstepBand.B1),
)
_LEVEL_THRESHOLDS: tuple[tuple[Fraction, QuestionLevel], ...] = (
    (Fraction(17, 2), QuestionLevel.C1),
    (Fraction(6), QuestionLevel.B2),
    (Fraction(4), QuestionLevel.B1),
    (Fraction(2), QuestionLevel.A2),
)

# Maximum score of every skill; objective scores scale correct/total onto it.
MAX_SCORE = 10


def to_fraction(value: Decimal | Fraction | int | float) -> Fraction:
    """The exact rational a score stands for.

    Floats go through their shortest decimal repr, so 8.75 means 8.75 and not the
    binary neighbour it is stored as. Non-finite values raise ValueError.
    """
    if isinstance(value, bool):
        # bool is an int subclass; a True score is a caller's bug, not 1.
        raise TypeError("a score cannot be a bool")
    if isinstance(value, float):
        return Fraction(Decimal(str(value)))
    return Fraction(value)


def round_half_up(value: Decimal | Fraction | int | float) -> Decimal:
    """Round to the nearest 0.5, halves going up: ``floor(x * 2 + 0.5) / 2``."""
    halves = math.floor(to_fraction(value) * 2 + Fraction(1, 2))
    return (Decimal(halves) / 2).quantize(_ONE_DECIMAL)


def band_for_score(score: Decimal | Fraction) -> VstepBand | None:
    """Certificate band of a score; None below B1 (the exam awards no band there)."""
    exact = to_fraction(score)
    for threshold, band in _BAND_THRESHOLDS:
        if exact >= threshold:
            return band
    return None


def practice_level(score: Decimal | Fraction) -> QuestionLevel:
    """Practice level of a score, A1 at the bottom; meant for unrounded means."""
    exact = to_fraction(score)
    for threshold, level in _LEVEL_THRESHOLDS:
        if exact >= threshold:
            return level
    return QuestionLevel.A1


def objective_score(correct: int, total: int) -> Decimal:
    """``correct / total * 10``, rounded half up to 0.5."""
    if total <= 0:
        raise InvalidInput("answer_key", "has no items to grade against")
    if not 0 <= correct <= total:
        # Only a grading bug can produce this; it must not become a score.
        raise ValueError(f"correct count {correct} is outside 0..{total}")
    return round_half_up(Fraction(correct, total) * MAX_SCORE)
