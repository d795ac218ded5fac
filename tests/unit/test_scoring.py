"""Score arithmetic: half-up rounding, bands, practice levels, objective scores."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from domain.enums import QuestionLevel, VstepBand
from domain.errors import InvalidInput
from domain.scoring import band_for_score, objective_score, practice_level, round_half_up


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2.25"), "2.5"),
        (Decimal("2.24"), "2.0"),
        (Decimal("8.49"), "8.5"),
        (Decimal("8.74"), "8.5"),
        (Decimal("8.75"), "9.0"),
        (Decimal("3.75"), "4.0"),
        (Decimal("0.24"), "0.0"),
        (Decimal("9.75"), "10.0"),
        (Decimal("7.5"), "7.5"),
        (0, "0.0"),
        (10, "10.0"),
        (7, "7.0"),
        # Floats are read as the decimal they print as, not their binary neighbour.
        (2.25, "2.5"),
        (8.75, "9.0"),
        (2.675, "2.5"),
        # Fractions are exact: 2/3 * 10 = 6.666...; 7/8 * 10 = 8.75 exactly.
        (Fraction(20, 3), "6.5"),
        (Fraction(35, 4), "9.0"),
        (Fraction(9, 4), "2.5"),
        # Python's round(0.5) and round(2.5) give 0 and 2 (halves to even); here halves go up.
        (Decimal("0.25"), "0.5"),
        (Decimal("1.25"), "1.5"),
    ],
)
def test_round_half_up_rounds_to_nearest_half_with_halves_up(
    value: Decimal | Fraction | int | float, expected: str
) -> None:
    # given a raw score / when it is rounded
    result = round_half_up(value)
    # then it is the nearest 0.5, with one decimal place
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_round_half_up_refuses_non_finite_values(value: Decimal | float) -> None:
    # given a non-finite number / when it is rounded / then it is refused
    with pytest.raises((ValueError, OverflowError)):
        round_half_up(value)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("10.0", VstepBand.C1),
        ("8.5", VstepBand.C1),
        ("8.49", VstepBand.B2),
        ("6.0", VstepBand.B2),
        ("5.99", VstepBand.B1),
        ("4.0", VstepBand.B1),
        ("3.99", None),
        ("0.0", None),
    ],
)
def test_band_for_score_uses_inclusive_lower_bounds(score: str, expected: VstepBand | None) -> None:
    # given a score / when its band is read / then the thresholds are inclusive
    assert band_for_score(Decimal(score)) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (Decimal("9.0"), QuestionLevel.C1),
        (Decimal("8.5"), QuestionLevel.C1),
        (Fraction(849, 100), QuestionLevel.B2),
        (Decimal("6.0"), QuestionLevel.B2),
        (Fraction(599, 100), QuestionLevel.B1),
        (Decimal("4.0"), QuestionLevel.B1),
        (Fraction(11, 3), QuestionLevel.A2),
        (Decimal("2.0"), QuestionLevel.A2),
        (Decimal("1.99"), QuestionLevel.A1),
        (Decimal("0"), QuestionLevel.A1),
    ],
)
def test_practice_level_covers_all_five_levels(
    score: Decimal | Fraction, expected: QuestionLevel
) -> None:
    # given an unrounded mean / when its level is read / then A1..C1 follow the thresholds
    assert practice_level(score) == expected


@pytest.mark.parametrize(
    ("correct", "total", "expected"),
    [
        (0, 10, "0.0"),
        (10, 10, "10.0"),
        (7, 10, "7.0"),
        (3, 4, "7.5"),
        (2, 3, "6.5"),  # 6.67
        (7, 8, "9.0"),  # 8.75, a half, goes up
        (1, 8, "1.5"),  # 1.25
        (17, 40, "4.5"),  # 4.25
        (23, 35, "6.5"),  # 6.571
        (1, 1, "10.0"),
    ],
)
def test_objective_score_is_rounded_ratio_of_ten(correct: int, total: int, expected: str) -> None:
    # given correct and total counts / when scored / then correct/total*10 rounds half up
    assert objective_score(correct, total) == Decimal(expected)


@pytest.mark.parametrize("total", [0, -1])
def test_objective_score_without_items_is_invalid_key(total: int) -> None:
    # given no keyed items / when scored / then the answer key is blamed
    with pytest.raises(InvalidInput) as caught:
        objective_score(0, total)
    assert caught.value.field == "answer_key"


@pytest.mark.parametrize(("correct", "total"), [(-1, 5), (6, 5)])
def test_objective_score_refuses_impossible_counts(correct: int, total: int) -> None:
    # given a count no grading can produce / when scored / then it is a bug, not a score
    with pytest.raises(ValueError, match="outside"):
        objective_score(correct, total)
