"""validate_answer refuses what jsonb cannot store, wherever in the answer it is."""

from __future__ import annotations

from typing import Any

import pytest

from domain.answers import validate_answer
from domain.enums import QuestionFormat as F
from domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("question_format", "answer", "field"),
    [
        (F.WRITING_TASK_1, {"text": "a\x00b"}, "answer.text"),
        (F.WRITING_TASK_1, {"text": "ok", "notes": ["x", "\ud800"]}, "answer.notes[1]"),
        (F.READING_GAP_FILL, {"answers": {"1": "\udc00"}}, "answer.answers.1"),
        (
            F.SPEAKING_PART_3,
            {"audioUrl": "u", "durationSeconds": 10**400},
            "answer.durationSeconds",
        ),
        (
            F.SPEAKING_PART_3,
            {"audioUrl": "u", "durationSeconds": -(10**309)},
            "answer.durationSeconds",
        ),
    ],
)
def test_unstorable_answers_are_refused(
    question_format: F, answer: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_answer(question_format, answer)
    assert refused.value.field == field


def test_visible_text_around_zero_width_characters_is_an_answer() -> None:
    assert validate_answer(F.WRITING_TASK_2, {"text": "\u200bHi\u200b"}) == {
        "text": "\u200bHi\u200b"
    }


def test_large_but_representable_numbers_pass() -> None:
    answer = {"audioUrl": "u", "durationSeconds": 10**300}
    assert validate_answer(F.SPEAKING_PART_2, answer) == answer
