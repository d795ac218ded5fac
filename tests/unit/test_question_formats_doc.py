"""docs/question-formats.md is executed: every example question grades as the doc says.

Each format has a section whose ```json blocks are labelled content, answer_key
(objective formats only) and answer. A producer copying them gets a question the
worker grades, not one that fails with BAD_INPUT.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from domain.answers import validate_answer
from domain.builtin_grader import grade_builtin
from domain.enums import OBJECTIVE_FORMATS, QuestionFormat
from domain.objective import grade_objective

DOC = Path(__file__).resolve().parents[2] / "docs" / "question-formats.md"
_SECTION = re.compile(r"^### (\w+)\n(.*?)(?=^##|\Z)", re.MULTILINE | re.DOTALL)
_BLOCK = re.compile(r"^```json (\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _examples() -> dict[str, dict[str, Any]]:
    text = DOC.read_text(encoding="utf-8")
    examples: dict[str, dict[str, Any]] = {}
    for name, body in _SECTION.findall(text):
        blocks = {label: json.loads(raw) for label, raw in _BLOCK.findall(body)}
        examples[name] = blocks
    return examples


EXAMPLES = _examples()


def test_every_format_has_a_section() -> None:
    assert sorted(EXAMPLES) == sorted(f.value for f in QuestionFormat)


@pytest.mark.parametrize("format", sorted(OBJECTIVE_FORMATS), ids=str)
def test_objective_example_grades_against_its_key(format: QuestionFormat) -> None:
    example = EXAMPLES[format.value]
    assert set(example) == {"content", "answer_key", "answer"}
    result = grade_objective(format, example["content"], example["answer_key"], example["answer"])
    assert result.total_count == len(example["answer_key"]["correctAnswers"])
    # Every example shows a right answer, as a learner might type it.
    assert result.correct_count >= 1


@pytest.mark.parametrize("format", sorted(set(QuestionFormat) - OBJECTIVE_FORMATS), ids=str)
def test_writing_and_speaking_example_grades(format: QuestionFormat) -> None:
    example = EXAMPLES[format.value]
    assert set(example) == {"content", "answer"}
    answer = validate_answer(format, example["answer"])
    result = grade_builtin(format, example["content"], answer)
    assert result.overall_score is not None
    assert 0 <= result.overall_score <= 10
