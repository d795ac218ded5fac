"""Progress rules: streaks, level, scaffolding, trend, estimated band."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import QuestionLevel, Skill, StreakDirection, VstepBand
from domain.progress import (
    Trend,
    estimated_band,
    initial_scaffold_level,
    level_from_recent,
    next_scaffold_level,
    next_streak,
    trend,
)

UP, DOWN, NEUTRAL = StreakDirection.UP, StreakDirection.DOWN, StreakDirection.NEUTRAL


def scores(*values: float | str) -> list[Decimal]:
    return [Decimal(str(v)) for v in values]


@pytest.mark.parametrize(
    ("previous_score", "previous_direction", "previous_count", "score", "expected"),
    [
        # the first score of a skill
        (None, None, 0, "6.0", (NEUTRAL, 1)),
        # a direction holds: the streak grows
        ("5.0", UP, 2, "6.0", (UP, 3)),
        ("6.0", DOWN, 4, "5.5", (DOWN, 5)),
        ("6.0", NEUTRAL, 1, "6.0", (NEUTRAL, 2)),
        # a direction changes: the streak restarts at 1
        ("6.0", UP, 3, "5.0", (DOWN, 1)),
        ("5.0", DOWN, 3, "5.5", (UP, 1)),
        ("5.0", UP, 3, "5.0", (NEUTRAL, 1)),
        ("5.0", NEUTRAL, 1, "7.0", (UP, 1)),
    ],
)
def test_next_streak(
    previous_score: str | None,
    previous_direction: StreakDirection | None,
    previous_count: int,
    score: str,
    expected: tuple[StreakDirection, int],
) -> None:
    # given the stored streak / when a new score arrives / then direction and count follow
    previous = None if previous_score is None else Decimal(previous_score)
    assert next_streak(previous, previous_direction, previous_count, Decimal(score)) == expected


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        (("5.0",), (NEUTRAL, 1)),
        (("5.0", "6.0", "7.0", "8.0"), (UP, 3)),
        (("5.0", "6.0", "7.0", "6.5"), (DOWN, 1)),
        (("5.0", "5.0", "5.0"), (NEUTRAL, 3)),
        (("9.0", "8.0", "7.0", "7.0", "7.5", "8.0"), (UP, 2)),
    ],
)
def test_streak_over_a_sequence(
    sequence: tuple[str, ...], expected: tuple[StreakDirection, int]
) -> None:
    # given scores arriving one by one / when the streak is folded over them
    previous: Decimal | None = None
    direction: StreakDirection | None = None
    count = 0
    for value in scores(*sequence):
        direction, count = next_streak(previous, direction, count, value)
        previous = value
    # then the last state is as expected
    assert (direction, count) == expected


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (scores(9), QuestionLevel.C1),
        (scores(1.5), QuestionLevel.A1),
        (scores(2), QuestionLevel.A2),
        # mean 5.95 unrounded is B1; rounded (6.0) it would be B2
        (scores(5.5, 6.5, 6, 5.8), QuestionLevel.B1),
        (scores(4, 4.5, 3.5), QuestionLevel.B1),
        # only the last 10 count: the first two low scores fall out of the window
        (scores(0, 0, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5), QuestionLevel.C1),
        # with them inside the window the mean would be 6.8
        (scores(0, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5), QuestionLevel.B2),
    ],
)
def test_level_from_recent_uses_unrounded_mean_of_last_ten(
    history: list[Decimal], expected: QuestionLevel
) -> None:
    assert level_from_recent(history) == expected


def test_level_needs_a_score() -> None:
    with pytest.raises(ValueError, match="at least one"):
        level_from_recent([])


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (QuestionLevel.A1, 1),
        (QuestionLevel.A2, 1),
        (QuestionLevel.B1, 2),
        (QuestionLevel.B2, 3),
        (QuestionLevel.C1, 3),
    ],
)
def test_initial_scaffold_level(level: QuestionLevel, expected: int) -> None:
    assert initial_scaffold_level(level) == expected


W, L = Skill.WRITING, Skill.LISTENING


@pytest.mark.parametrize(
    ("skill", "current", "history", "expected"),
    [
        # fewer than 3 attempts: keep the level, whatever the scores
        (W, 1, scores(10, 10), 1),
        (L, 3, scores(0, 0), 3),
        # writing 1 -> 2 at a mean of 80% or more
        (W, 1, scores(8, 8, 8), 2),
        (W, 1, scores(7.5, 8, 8), 1),  # 78.3%
        (W, 1, scores(0, 0, 0, 0), 1),  # level 1 never goes down
        # writing 2 -> 3 at 75% or more
        (W, 2, scores(7.5, 7.5, 7.5), 3),
        (W, 2, scores(7, 7.5, 7.5), 2),  # 73.3%
        # writing 2 -> 1 below 60% on two attempts in a row
        (W, 2, scores(5, 5, 5, 5.5), 1),  # 50% then 51.7%
        (W, 2, scores(5, 5, 5), 2),  # below once only: no earlier mean yet
        (W, 2, scores(8, 5, 5, 5), 2),  # 50% now, exactly 60% before
        (W, 2, scores(7, 5, 5, 5), 1),  # 50% now, 56.7% before
        (W, 2, scores(5, 5, 5, 9), 2),  # 50% before, 63.3% now
        (W, 2, scores(6, 6, 6, 6), 2),  # exactly 60% is not below
        # writing 3 -> 2 below 65% on two attempts in a row
        (W, 3, scores(6, 6, 6.5, 6), 2),  # 61.7% then 61.7%
        (W, 3, scores(7.5, 6, 6, 6), 3),  # 60% now, exactly 65% before
        (W, 3, scores(7, 6, 6, 6), 2),  # 60% now, 63.3% before
        (W, 3, scores(6.5, 6.5, 6.5, 6.5), 3),
        (W, 3, scores(10, 10, 10), 3),  # level 3 is the top
        (W, 3, scores(0, 0, 0, 0), 2),  # one step at a time, never 3 -> 1
        # listening up at 80%, one step, capped at 3
        (L, 1, scores(8, 8, 8), 2),
        (L, 2, scores(8, 8.5, 7.5), 3),
        (L, 3, scores(10, 10, 10), 3),
        (L, 1, scores(7.5, 8, 8), 1),
        # listening down below 50% on two attempts in a row, floored at 1
        (L, 3, scores(4, 4, 4, 4.5), 2),
        (L, 2, scores(4, 4, 4, 4), 1),
        (L, 1, scores(0, 0, 0, 0), 1),
        (L, 2, scores(6, 4, 4, 4), 1),  # 40% now, 46.7% before
        (L, 2, scores(9, 4, 4, 4), 2),  # 40% now, 56.7% before: once only
        (L, 2, scores(4, 4, 4, 7), 2),  # 40% before, 50% now: once only
        (L, 3, scores(5, 5, 5, 5), 3),  # exactly 50% is not below
        # the newest score counts: four of them, only the last 3 for the mean
        (L, 1, scores(0, 8, 8, 8), 2),
        # reading and speaking never change
        (Skill.READING, 2, scores(10, 10, 10), 2),
        (Skill.SPEAKING, 2, scores(0, 0, 0, 0), 2),
    ],
)
def test_next_scaffold_level(
    skill: Skill, current: int, history: list[Decimal], expected: int
) -> None:
    # given a current level and the chronological scores incl. the newest / when re-evaluated
    assert next_scaffold_level(skill, current, history) == expected


@pytest.mark.parametrize("current", [0, 4])
def test_scaffold_level_out_of_range_is_a_bug(current: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        next_scaffold_level(W, current, scores(5, 5, 5))


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (scores(), Trend.INSUFFICIENT_DATA),
        (scores(5, 6), Trend.INSUFFICIENT_DATA),
        # 3-5 attempts and steady: stable, even when rising
        (scores(5, 6, 7), Trend.STABLE),
        (scores(5, 5.5, 6, 6.5, 7), Trend.STABLE),
        # sample stddev (n - 1) >= 1.5: inconsistent; 3,7,5: sd 2.0; 5,5,8: sd 1.73
        (scores(3, 7, 5), Trend.INCONSISTENT),
        (scores(5, 5, 8), Trend.INCONSISTENT),
        # 4.5, 6, 7.5 -> sd exactly 1.5: inconsistent (>=)
        (scores(4.5, 6, 7.5), Trend.INCONSISTENT),
        # sample stddev 1.53; the population one (n) would be 1.25, below the line
        (scores(4, 7, 5), Trend.INCONSISTENT),
        # 6+: delta of the last three against the three before
        (scores(5, 5, 5, 5.5, 5.5, 5.5), Trend.IMPROVING),  # +0.5 exactly
        (scores(6, 6, 6, 5.5, 5.5, 5.5), Trend.DECLINING),  # -0.5 exactly
        (scores(5, 5, 5, 5.5, 5.5, 5), Trend.STABLE),  # +0.33
        (scores(6, 6, 6, 6, 6, 6), Trend.STABLE),
        # only the last 10 count: an early outlier drops out of the window
        (scores(0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6), Trend.STABLE),
        (scores(0, 6, 6, 6, 6, 6, 6, 6, 6, 6), Trend.INCONSISTENT),
        # ten scores: the delta still compares only the last three with the three before
        (scores(9, 5, 5, 5, 5, 5, 5, 5.5, 5.5, 5.5), Trend.IMPROVING),
    ],
)
def test_trend(history: list[Decimal], expected: Trend) -> None:
    # given chronological scores / when the trend is read / then the documented branch is taken
    assert trend(history) == expected


@pytest.mark.parametrize(
    ("means", "expected"),
    [
        ({}, None),
        ({Skill.READING: None}, None),
        ({Skill.READING: Decimal("9")}, VstepBand.C1),
        (
            {
                Skill.LISTENING: Decimal("9"),
                Skill.READING: Decimal("7"),
                Skill.WRITING: Decimal("5"),
                Skill.SPEAKING: Decimal("8.5"),
            },
            VstepBand.B1,
        ),
        # a skill without data is ignored, not counted as the lowest
        (
            {Skill.LISTENING: Decimal("8.5"), Skill.READING: Decimal("6.5"), Skill.WRITING: None},
            VstepBand.B2,
        ),
        # a skill with data below B1 drags the estimate to no band
        ({Skill.LISTENING: Decimal("9"), Skill.READING: Decimal("3.5")}, None),
        # means are not rounded: 5.95 stays B1
        ({Skill.LISTENING: Decimal("5.95"), Skill.READING: Decimal("7")}, VstepBand.B1),
    ],
)
def test_estimated_band_is_lowest_band_with_data(
    means: dict[Skill, Decimal | None], expected: VstepBand | None
) -> None:
    assert estimated_band(means) == expected
