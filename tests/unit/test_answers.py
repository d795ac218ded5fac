"""Answer shape validation in Python: objective items, and what cannot be stored.

What a writing or speaking answer must hold is the database's rule: its cases are in
tests/integration/test_intake_rules.py."""

from __future__ import annotations

from typing import Any

import pytest

from domain.answers import normalize_text, validate_answer
from domain.enums import OBJECTIVE_FORMATS, QuestionFormat
from domain.errors import InvalidInput

F = QuestionFormat


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Paris ", "paris"),
        ("New   York", "new york"),
        ("\tNew\n York \r\n", "new york"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("B", "b"),
        ("", ""),
        ("   ", ""),
        ("not given", "not given"),
    ],
)
def test_normalize_text_trims_casefolds_and_collapses_space(raw: str, expected: str) -> None:
    # given a raw string / when normalized / then case and white space no longer matter
    assert normalize_text(raw) == expected


VALID: list[tuple[QuestionFormat, dict[str, Any]]] = [
    *[(fmt, {"answers": {"1": "A", "2": "b"}}) for fmt in sorted(OBJECTIVE_FORMATS)],
    (F.READING_MCQ, {"answers": {}}),  # nothing answered: all wrong, but well-formed
    (F.READING_GAP_FILL, {"answers": {"12": ""}}),
    (F.LISTENING_MCQ, {"answers": {"1": "A"}, "clientVersion": "3.2"}),
]


@pytest.mark.parametrize(("fmt", "answer"), VALID)
def test_validate_answer_accepts_well_formed_answers(
    fmt: QuestionFormat, answer: dict[str, Any]
) -> None:
    # given a well-formed answer / when validated
    result = validate_answer(fmt, answer)
    # then it comes back as an equal dict
    assert result == answer
    assert isinstance(result, dict)


INVALID: list[tuple[QuestionFormat | str, object, str]] = [
    (F.READING_MCQ, None, "answer"),
    (F.READING_MCQ, "A", "answer"),
    (F.WRITING_TASK_1, ["text"], "answer"),
    (F.READING_MCQ, {}, "answer.answers"),
    (F.READING_MCQ, {"answers": ["A", "B"]}, "answer.answers"),
    (F.READING_MCQ, {"answers": "A"}, "answer.answers"),
    (F.READING_MCQ, {"answers": {1: "A"}}, "answer.answers"),
    (F.READING_MCQ, {"answers": {"q1": "A"}}, "answer.answers"),
    (F.READING_MCQ, {"answers": {"1": "A", "3": 3}}, "answer.answers.3"),
    (F.LISTENING_DICTATION, {"answers": {"2": None}}, "answer.answers.2"),
    (F.READING_TNG, {"answers": {"4": True}}, "answer.answers.4"),
    (
        F.SPEAKING_PART_2,
        {"audioUrl": "u", "durationSeconds": float("nan")},
        "answer.durationSeconds",
    ),
    (
        F.SPEAKING_PART_2,
        {"audioUrl": "u", "durationSeconds": float("inf")},
        "answer.durationSeconds",
    ),
    ("essay", {"text": "x"}, "format"),
]


@pytest.mark.parametrize(("fmt", "answer", "field"), INVALID)
def test_validate_answer_names_the_bad_field(
    fmt: QuestionFormat | str, answer: object, field: str
) -> None:
    # given a malformed answer / when validated / then InvalidInput names the field at fault
    with pytest.raises(InvalidInput) as caught:
        validate_answer(fmt, answer)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_validate_answer_returns_a_copy() -> None:
    # given an answer / when validated and the result changed
    answer: dict[str, Any] = {"answers": {"1": "A"}}
    result = validate_answer(F.READING_MCQ, answer)
    result["answers"] = {}
    # then the caller's answer is untouched
    assert answer == {"answers": {"1": "A"}}


def test_validate_answer_accepts_plain_string_format() -> None:
    # given the format as stored in the database, a plain string / when validated / then it works
    assert validate_answer("reading_mcq", {"answers": {"1": "A"}}) == {"answers": {"1": "A"}}
