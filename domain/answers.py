"""Shape of a learner's answer per question format (docs/question-formats.md#answers).

Intake's rules live in the database (grading_intake_v1, migration 0007). The worker
calls ``validate_answer`` on what it is handed, because rows may also come from producers
that write them themselves; ``check_storable`` keeps what a Python producer cannot send
as a parameter from reaching the database.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

from domain.enums import OBJECTIVE_FORMATS, QuestionFormat
from domain.errors import InvalidInput

_ANSWERS_SHAPE = "must be an object mapping item numbers to strings"

# Default largest answer intake takes, in bytes of its compact UTF-8 JSON encoding
# (ANSWER_MAX_BYTES): an essay is a few kilobytes, a transcript a few more.
ANSWER_MAX_BYTES = 262_144


def normalize_text(value: str) -> str:
    """Trim, case-fold and collapse inner white space, so "  New  York" == "new york"."""
    return " ".join(value.split()).casefold()


def is_item_number(value: object) -> bool:
    """True for the string form of an item number ("1", "12"), as JSON object keys carry it."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def validate_answer(format: QuestionFormat | str, answer: object) -> dict[str, Any]:
    """The answer as a dict when it fits the format; InvalidInput naming the bad field if not.

    Unknown extra keys are kept and ignored: producers may add metadata, and the
    graders read only the keys below. Only an objective answer's items are checked here
    (the objective grader reads them); what a writing or speaking answer must hold, and
    when it is blank, is the database's rule (grading_answer_refusal and
    grading_answer_blank, migration 0007), which intake applies, and the built-in grader
    grades whatever text a row holds.
    """
    question_format = _question_format(format)
    if not isinstance(answer, Mapping):
        raise InvalidInput("answer", "must be an object")
    check_storable(answer)
    if question_format in OBJECTIVE_FORMATS:
        _check_objective(answer)
    return dict(answer)


def check_storable(value: object, field: str = "answer") -> None:
    """Refuse what PostgreSQL's jsonb or a JSON reader cannot hold, naming where it is.

    jsonb refuses NUL characters and lone surrogates (not Unicode); a number beyond a
    double's range cannot be read back as a number by most JSON readers.
    """
    if isinstance(value, str):
        _check_text(value, field)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        _check_number(value, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                _check_text(key, f"{field} (a key)")
            check_storable(item, f"{field}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_storable(item, f"{field}[{index}]")


def _check_text(value: str, field: str) -> None:
    if "\x00" in value:
        raise InvalidInput(field, "contains a NUL character (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(
            field, f"contains a lone surrogate {value[exc.start]!r}, not valid Unicode"
        ) from None


def _check_number(value: float, field: str) -> None:
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise InvalidInput(field, "is a number too large to store")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(field, "must be a finite number")


def _question_format(value: QuestionFormat | str) -> QuestionFormat:
    try:
        return QuestionFormat(value)
    except ValueError:
        raise InvalidInput("format", f"unknown question format {value!r}") from None


def _check_objective(answer: Mapping[Any, Any]) -> None:
    items = answer.get("answers")
    if not isinstance(items, Mapping):
        raise InvalidInput("answer.answers", _ANSWERS_SHAPE)
    for number, value in items.items():
        if not is_item_number(number):
            raise InvalidInput("answer.answers", f"{_ANSWERS_SHAPE}; {number!r} is not one")
        if not isinstance(value, str):
            raise InvalidInput(f"answer.answers.{number}", "must be a string")
