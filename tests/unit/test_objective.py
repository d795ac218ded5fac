"""Objective grading of every reading and listening format against its answer key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.enums import OBJECTIVE_FORMATS, QuestionFormat, VstepBand
from domain.errors import InvalidInput
from domain.objective import ObjectiveResult, grade_objective

F = QuestionFormat


def _mcq_items(numbers: range, letters: str) -> list[dict[str, Any]]:
    return [
        {
            "number": n,
            "prompt": f"Question {n}",
            "options": {letter: f"option {letter}" for letter in letters},
        }
        for n in numbers
    ]


CONTENT: dict[QuestionFormat, dict[str, Any]] = {
    F.READING_MCQ: {
        "title": "Urban gardens",
        "passage": "Community gardens have spread across Hanoi ...",
        "items": _mcq_items(range(1, 5), "ABCD"),
    },
    F.READING_TNG: {
        "passage": "The museum opened in 1998 ...",
        "items": _mcq_items(range(1, 5), "ABC"),
    },
    F.READING_MATCHING_HEADINGS: {
        "paragraphs": [{"label": c, "text": f"Paragraph {c} ..."} for c in "ABCD"],
        "headings": ["i. Early years", "ii. A turning point", "iii. Costs", "iv. Outlook", "v. X"],
        "items": [
            {"number": n, "targetParagraph": c} for n, c in zip(range(1, 5), "ABCD", strict=True)
        ],
    },
    F.READING_GAP_FILL: {
        "textWithGaps": "The (1) ___ rose by (2) ___ percent in (3) ___ and (4) ___.",
        "items": [
            {"number": 1},
            {"number": 2},
            {"number": 3, "options": ["May", "June"]},
            {"number": 4},
        ],
    },
    F.LISTENING_MCQ: {
        "audioUrl": "https://cdn.example/l/part1.mp3",
        "items": _mcq_items(range(1, 5), "ABCD"),
    },
    F.LISTENING_DICTATION: {
        "audioUrl": "https://cdn.example/l/dict.mp3",
        "transcriptWithGaps": "Please (1) ___ the form at the (2) ___ desk by (3) ___ (4) ___.",
        "items": [{"number": n} for n in range(1, 5)],
    },
}

KEYS: dict[QuestionFormat, dict[str, str]] = {
    F.READING_MCQ: {"1": "B", "2": "D", "3": "A", "4": "C"},
    F.READING_TNG: {"1": "A", "2": "C", "3": "B", "4": "A"},
    F.READING_MATCHING_HEADINGS: {"1": "ii", "2": "iv", "3": "i", "4": "iii"},
    F.READING_GAP_FILL: {"1": "population", "2": "twelve", "3": "June", "4": "New York"},
    F.LISTENING_MCQ: {"1": "C", "2": "C", "3": "D", "4": "B"},
    F.LISTENING_DICTATION: {"1": "hand in", "2": "front", "3": "Friday", "4": "noon"},
}

# Three of four right (item 4 wrong or missing), with case and white space noise.
ANSWERS: dict[QuestionFormat, dict[str, str]] = {
    F.READING_MCQ: {"1": "b", "2": " D ", "3": "A", "4": "B"},
    F.READING_TNG: {"1": "A", "2": "c", "3": "B\n"},
    F.READING_MATCHING_HEADINGS: {"1": "II", "2": "iv", "3": " i", "4": "v"},
    F.READING_GAP_FILL: {"1": "Population", "2": "TWELVE", "3": "june", "4": "NewYork"},
    F.LISTENING_MCQ: {"1": "C", "2": "c", "3": "d", "4": "A"},
    F.LISTENING_DICTATION: {"1": "Hand   in", "2": "FRONT", "3": "friday "},
}


@pytest.mark.parametrize("fmt", sorted(OBJECTIVE_FORMATS))
def test_every_objective_format_is_graded(fmt: QuestionFormat) -> None:
    # given a realistic question, its key and an answer with three of four right
    content, key, answers = CONTENT[fmt], KEYS[fmt], ANSWERS[fmt]
    # when graded
    result = grade_objective(fmt, content, {"correctAnswers": key}, {"answers": answers})
    # then three of four count, 7.5 is B2, and item 4 is the wrong one
    assert result == ObjectiveResult(
        correct_count=3,
        total_count=4,
        score=Decimal("7.5"),
        band=VstepBand.B2,
        items={"1": True, "2": True, "3": True, "4": False},
    )
    assert not result.all_correct


def test_every_objective_format_has_a_test_case() -> None:
    # given the fixtures / then no objective format is left untested
    assert set(CONTENT) == set(KEYS) == set(ANSWERS) == set(OBJECTIVE_FORMATS)


@pytest.mark.parametrize(
    ("key", "answers", "items", "score", "band"),
    [
        # all right, noise ignored
        (
            {"1": "A", "2": "b"},
            {"1": " a", "2": "B "},
            {"1": True, "2": True},
            "10.0",
            VstepBand.C1,
        ),
        # nothing answered: every item wrong
        ({"1": "A", "2": "B"}, {}, {"1": False, "2": False}, "0.0", None),
        # an answered item outside the key is ignored, total stays the key's size
        (
            {"1": "A", "2": "B"},
            {"1": "A", "2": "B", "9": "C"},
            {"1": True, "2": True},
            "10.0",
            VstepBand.C1,
        ),
        # a blank answer is wrong
        ({"1": "A", "2": "B"}, {"1": "", "2": "B"}, {"1": False, "2": True}, "5.0", VstepBand.B1),
        # inner white space collapses, but is not removed
        ({"1": "New York"}, {"1": "new\tyork"}, {"1": True}, "10.0", VstepBand.C1),
        ({"1": "New York"}, {"1": "newyork"}, {"1": False}, "0.0", None),
        # 2 of 3 = 6.67 -> 6.5
        (
            {"1": "A", "2": "B", "3": "C"},
            {"1": "A", "2": "B"},
            {"1": True, "2": True, "3": False},
            "6.5",
            VstepBand.B2,
        ),
    ],
)
def test_comparison_and_counting_rules(
    key: dict[str, str],
    answers: dict[str, str],
    items: dict[str, bool],
    score: str,
    band: VstepBand | None,
) -> None:
    # given a question without numbered items (no cross-check) / when graded
    result = grade_objective(F.READING_GAP_FILL, {}, {"correctAnswers": key}, {"answers": answers})
    # then comparison is trimmed, case- and space-insensitive; missing is wrong; extras ignored
    assert result.items == items
    assert result.total_count == len(key)
    assert result.correct_count == sum(items.values())
    assert result.score == Decimal(score)
    assert result.band == band


def test_items_are_ordered_by_item_number() -> None:
    # given a key listed out of order with two-digit numbers
    key = {"10": "A", "2": "B", "1": "C"}
    # when graded
    result = grade_objective(F.LISTENING_MCQ, {}, {"correctAnswers": key}, {"answers": {}})
    # then items come out in numeric order
    assert list(result.items) == ["1", "2", "10"]


GOOD_KEY = {"correctAnswers": {"1": "A"}}
GOOD_ANSWER: dict[str, Any] = {"answers": {"1": "A"}}
MCQ_CONTENT = CONTENT[F.READING_MCQ]


@pytest.mark.parametrize(
    ("fmt", "content", "answer_key", "answer", "field"),
    [
        (F.WRITING_TASK_1, {}, GOOD_KEY, {"text": "x"}, "format"),
        (F.SPEAKING_PART_2, {}, GOOD_KEY, GOOD_ANSWER, "format"),
        ("nonsense", {}, GOOD_KEY, GOOD_ANSWER, "format"),
        (F.READING_MCQ, MCQ_CONTENT, None, GOOD_ANSWER, "answer_key"),
        (F.READING_MCQ, MCQ_CONTENT, {}, GOOD_ANSWER, "answer_key"),
        (F.READING_MCQ, MCQ_CONTENT, {"answers": {"1": "A"}}, GOOD_ANSWER, "answer_key"),
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": {}},
            GOOD_ANSWER,
            "answer_key.correctAnswers",
        ),
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": ["A"]},
            GOOD_ANSWER,
            "answer_key.correctAnswers",
        ),
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": {"one": "A"}},
            GOOD_ANSWER,
            "answer_key.correctAnswers",
        ),
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": {"1": "A", "2": 2}},
            GOOD_ANSWER,
            "answer_key.correctAnswers.2",
        ),
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": {"3": None}},
            GOOD_ANSWER,
            "answer_key.correctAnswers.3",
        ),
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": {"1": " "}},
            GOOD_ANSWER,
            "answer_key.correctAnswers.1",
        ),
        # key item 7 does not exist in a four-item question
        (
            F.READING_MCQ,
            MCQ_CONTENT,
            {"correctAnswers": {"1": "A", "7": "B"}},
            GOOD_ANSWER,
            "answer_key.correctAnswers.7",
        ),
        (F.READING_MCQ, MCQ_CONTENT, GOOD_KEY, {"answers": "A"}, "answer.answers"),
        (F.READING_MCQ, MCQ_CONTENT, GOOD_KEY, {"answers": {"1": 1}}, "answer.answers.1"),
        (F.READING_MCQ, MCQ_CONTENT, GOOD_KEY, {"text": "A"}, "answer.answers"),
    ],
)
def test_bad_format_key_or_answer_is_invalid_input(
    fmt: QuestionFormat | str,
    content: dict[str, Any],
    answer_key: dict[str, Any] | None,
    answer: dict[str, Any],
    field: str,
) -> None:
    # given something that cannot be graded / when graded / then InvalidInput names the field
    with pytest.raises(InvalidInput) as caught:
        grade_objective(fmt, content, answer_key, answer)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("fmt", "answer_key", "message"),
    [
        (F.READING_MCQ, None, "question has no answer key"),
        (F.READING_MCQ, {"correctAnswers": {}}, "is empty"),
        (F.READING_MCQ, {"correctAnswers": {"5": "A"}}, "item 5 is not in the question"),
    ],
)
def test_key_errors_say_what_is_wrong(
    fmt: QuestionFormat, answer_key: dict[str, Any] | None, message: str
) -> None:
    # given a broken key / when graded / then the message says why, for operators
    with pytest.raises(InvalidInput, match=message):
        grade_objective(fmt, MCQ_CONTENT, answer_key, GOOD_ANSWER)


@pytest.mark.parametrize(
    "content",
    [
        {},
        {"items": "not a list"},
        {"items": [{"prompt": "no number"}]},
        {"passage": "no items at all"},
    ],
)
def test_key_is_not_cross_checked_when_question_has_no_numbered_items(
    content: dict[str, Any],
) -> None:
    # given content with nothing to check against / when graded / then the key is trusted
    result = grade_objective(
        F.READING_MCQ, content, {"correctAnswers": {"7": "A"}}, {"answers": {}}
    )
    assert result.total_count == 1


def test_content_item_numbers_may_be_strings() -> None:
    # given content whose item numbers were stored as strings / when graded / then they match
    content = {"items": [{"number": "1"}, {"number": "2"}]}
    result = grade_objective(
        F.READING_MCQ, content, {"correctAnswers": {"2": "B"}}, {"answers": {"2": "b"}}
    )
    assert result.all_correct
