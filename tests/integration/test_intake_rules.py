"""The rules intake keeps in the database agree with their Python mirrors and defaults:
grading_answer_blank with domain/answers.is_empty_answer, grading_empty_answer with
domain/exams.empty_answer, the functions' SLA and answer limit with domain/."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.answers import ANSWER_MAX_BYTES, is_empty_answer
from domain.enums import FORMAT_SKILL, QuestionFormat, Skill
from domain.exams import empty_answer
from domain.sla import DEFAULT_SLA

# Answers the database's grading_answer_blank and domain/answers.is_empty_answer must
# judge alike (the worker's copy mirrors the one definition).
BLANKS: list[tuple[Skill, Any]] = [
    (Skill.WRITING, None),
    (Skill.WRITING, {"text": " \u200b\u200c\u200d\n\u2060\ufeff\u00a0\u3000"}),
    (Skill.WRITING, {"text": "Dear Lan"}),
    (Skill.WRITING, {"text": 42}),
    (Skill.WRITING, {}),
    (Skill.WRITING, ["text"]),
    (Skill.SPEAKING, {"audioUrl": "", "durationSeconds": 0, "transcript": "\u200b"}),
    (Skill.SPEAKING, {"audioUrl": "", "durationSeconds": 3, "transcript": "hi"}),
    (Skill.SPEAKING, {"audioUrl": "https://a/b.webm", "durationSeconds": 3}),
    (Skill.READING, {"answers": {}}),
    (Skill.READING, {"answers": {"1": "A"}}),
    (Skill.LISTENING, ["A"]),
]


def test_the_python_mirrors_agree_with_the_database(engine: Engine) -> None:
    with engine.connect() as conn:
        for skill, answer in BLANKS:
            in_sql = conn.execute(
                sa.text("SELECT grading_answer_blank(:s, CAST(:a AS jsonb))"),
                {"s": skill.value, "a": None if answer is None else json.dumps(answer)},
            ).scalar_one()
            assert in_sql == is_empty_answer(skill, answer), (skill, answer)
        for question_format in QuestionFormat:
            in_sql = conn.execute(
                sa.text("SELECT grading_empty_answer(:s)"),
                {"s": FORMAT_SKILL[question_format].value},
            ).scalar_one()
            assert in_sql == empty_answer(question_format)


@pytest.mark.parametrize("function", ["grading_intake_v1", "grading_exam_intake_v1"])
def test_the_functions_defaults_are_the_documented_ones(engine: Engine, function: str) -> None:
    # the SLA and the answer limit a producer in SQL gets are those of domain/ and docs/
    with engine.connect() as conn:
        arguments = conn.execute(
            sa.text("SELECT pg_get_function_arguments(CAST(:f AS regproc))"), {"f": function}
        ).scalar_one()
    assert f"answer_max_bytes integer DEFAULT {ANSWER_MAX_BYTES}" in arguments
    for skill, sla in DEFAULT_SLA.items():
        hours, minutes = divmod(int(sla.total_seconds() // 60), 60)
        default = f"sla_{skill.value} interval DEFAULT '{hours:02d}:{minutes:02d}:00'::interval"
        assert default in arguments, arguments
