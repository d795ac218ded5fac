"""Objective grading (reading and listening formats) against the question's answer key.

Grading is deterministic and needs no AI: the worker grades these at once. A key
that does not fit its question is refused rather than graded, because a score
computed from a broken key would be stored as if it were true.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.answers import is_item_number, normalize_text, validate_answer
from domain.enums import OBJECTIVE_FORMATS, QuestionFormat, VstepBand
from domain.errors import InvalidInput
from domain.scoring import band_for_score, objective_score


@dataclass(frozen=True)
class ObjectiveResult:
    """Outcome of grading one objective question; ``items`` maps item number to right/wrong."""

    correct_count: int
    total_count: int
    score: Decimal
    band: VstepBand | None
    items: dict[str, bool]

    @property
    def all_correct(self) -> bool:
        """Whether every keyed item is right (``exam_answers.is_correct``)."""
        return self.correct_count == self.total_count

    def to_result_json(self, graded_at: datetime) -> dict[str, Any]:
        """The ``submission_details.result`` document (docs/scoring.md#result-documents)."""
        if graded_at.utcoffset() is None:
            # A naive time in a stored document cannot be placed on the timeline later.
            raise ValueError("graded_at must be timezone-aware")
        return {
            "correctCount": self.correct_count,
            "totalCount": self.total_count,
            "score": float(self.score),
            "band": None if self.band is None else self.band.value,
            "items": dict(self.items),
            "gradedAt": graded_at.isoformat(),
        }


def grade_objective(
    format: QuestionFormat | str,
    content: Mapping[str, Any],
    answer_key: Mapping[str, Any] | None,
    answer: Mapping[str, Any],
) -> ObjectiveResult:
    """Grade an objective answer; InvalidInput for a bad format, key or answer."""
    if format not in OBJECTIVE_FORMATS:
        raise InvalidInput("format", f"{format!s} is not an objective format")
    expected = _checked_key(answer_key)
    _check_key_fits_question(expected, content)
    given = validate_answer(QuestionFormat(format), answer)["answers"]

    items: dict[str, bool] = {}
    for number in sorted(expected, key=int):
        value = given.get(number)
        # A missing item is wrong; answered items outside the key never reach this loop.
        items[number] = value is not None and normalize_text(value) == normalize_text(
            expected[number]
        )
    correct = sum(items.values())
    score = objective_score(correct, len(items))
    return ObjectiveResult(
        correct_count=correct,
        total_count=len(items),
        score=score,
        band=band_for_score(score),
        items=items,
    )


def _checked_key(answer_key: Mapping[str, Any] | None) -> dict[str, str]:
    if not isinstance(answer_key, Mapping) or "correctAnswers" not in answer_key:
        raise InvalidInput("answer_key", "question has no answer key")
    correct_answers = answer_key["correctAnswers"]
    if not isinstance(correct_answers, Mapping):
        raise InvalidInput(
            "answer_key.correctAnswers", "must be an object mapping item numbers to strings"
        )
    if not correct_answers:
        raise InvalidInput("answer_key.correctAnswers", "is empty")
    checked: dict[str, str] = {}
    for number, value in correct_answers.items():
        if not is_item_number(number):
            raise InvalidInput("answer_key.correctAnswers", f"{number!r} is not an item number")
        # A blank expected value would make a blank answer count as right.
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"answer_key.correctAnswers.{number}", "must be a non-empty string")
        checked[number] = value
    return checked


def _check_key_fits_question(expected: Mapping[str, str], content: Mapping[str, Any]) -> None:
    numbers = _question_item_numbers(content)
    if not numbers:
        # Content without numbered items (older rows) cannot be cross-checked.
        return
    for number in expected:
        if number not in numbers:
            raise InvalidInput(
                f"answer_key.correctAnswers.{number}", f"item {number} is not in the question"
            )


def _question_item_numbers(content: Mapping[str, Any]) -> frozenset[str]:
    items = content.get("items") if isinstance(content, Mapping) else None
    if not isinstance(items, list):
        return frozenset()
    numbers: set[str] = set()
    for item in items:
        number = item.get("number") if isinstance(item, Mapping) else None
        if isinstance(number, bool):
            continue
        if isinstance(number, int) or is_item_number(number):
            numbers.add(str(number))
    return frozenset(numbers)
