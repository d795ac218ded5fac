"""The rules intake keeps in the database: what a blank answer is (grading_answer_blank,
the one definition), what an unanswered exam part is stored as (grading_empty_answer),
and the functions' SLA and answer limit, which are domain/'s defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.answers import ANSWER_MAX_BYTES
from domain.enums import Skill
from domain.sla import DEFAULT_SLA

# Answers and whether the database's grading_answer_blank finds them blank: white space
# and zero-width characters alone are nothing.
BLANKS: list[tuple[Skill, Any, bool]] = [
    (Skill.WRITING, None, True),
    (Skill.WRITING, {"text": " \u200b\u200c\u200d\n\u2060\ufeff\u00a0\u3000"}, True),
    (Skill.WRITING, {"text": "\u200b\u200b"}, True),
    (Skill.WRITING, {"text": ""}, True),
    (Skill.WRITING, {"text": "Dear Lan"}, False),
    (Skill.WRITING, {"text": 42}, False),
    (Skill.WRITING, {}, True),
    (Skill.WRITING, ["text"], True),
    (Skill.SPEAKING, {"audioUrl": "", "durationSeconds": 0, "transcript": "\u200b"}, True),
    (Skill.SPEAKING, {"audioUrl": "", "durationSeconds": 0, "transcript": ""}, True),
    (Skill.SPEAKING, {"audioUrl": "", "durationSeconds": 3, "transcript": "hi"}, False),
    (Skill.SPEAKING, {"audioUrl": "https://a/b.webm", "durationSeconds": 3}, False),
    (Skill.READING, {"answers": {}}, True),
    (Skill.READING, {"answers": {"1": "A"}}, False),
    (Skill.LISTENING, {"answers": {}}, True),
    (Skill.LISTENING, ["A"], False),
]
# What an exam part left unanswered is stored as, by skill (grading_empty_answer).
EMPTY: dict[Skill, dict[str, Any]] = {
    Skill.LISTENING: {"answers": {}},
    Skill.READING: {"answers": {}},
    Skill.WRITING: {"text": ""},
    Skill.SPEAKING: {"audioUrl": "", "durationSeconds": 0, "transcript": ""},
}


def test_the_one_definition_of_a_blank_answer(engine: Engine) -> None:
    with engine.connect() as conn:
        for skill, answer, blank in BLANKS:
            in_sql = conn.execute(
                sa.text("SELECT grading_answer_blank(:s, CAST(:a AS jsonb))"),
                {"s": skill.value, "a": None if answer is None else json.dumps(answer)},
            ).scalar_one()
            assert in_sql is blank, (skill, answer)
        for skill, stored in EMPTY.items():
            empty = conn.execute(
                sa.text("SELECT grading_empty_answer(:s)"), {"s": skill.value}
            ).scalar_one()
            assert empty == stored
            # and what an unanswered part is stored as is blank by the one definition
            blank = conn.execute(
                sa.text("SELECT grading_answer_blank(:s, grading_empty_answer(:s))"),
                {"s": skill.value},
            ).scalar_one()
            assert blank is True


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


# Writing and speaking answers the database's grading_answer_refusal accepts (None) or
# refuses, naming the field (single intake: a blank answer is refused).
ANSWER_RULES: list[tuple[Skill, Any, str | None]] = [
    (Skill.WRITING, {"text": "Dear Sir, ..."}, None),
    (Skill.WRITING, {"text": "Some people believe ...", "clientVersion": "3"}, None),
    (Skill.SPEAKING, {"audioUrl": "s3://a/1.webm", "durationSeconds": 45}, None),
    (Skill.SPEAKING, {"audioUrl": "s3://a/2.webm", "durationSeconds": 0}, None),
    (
        Skill.SPEAKING,
        {"audioUrl": "s3://a/3.webm", "durationSeconds": 61.5, "transcript": ""},
        None,
    ),
    (Skill.SPEAKING, {"audioUrl": "u", "durationSeconds": 1, "transcript": "I think"}, None),
    (Skill.SPEAKING, {"audioUrl": "u", "durationSeconds": 1, "transcript": None}, None),
    (Skill.WRITING, ["text"], "answer"),
    (Skill.WRITING, {}, "answer.text"),
    (Skill.WRITING, {"text": ""}, "answer.text"),
    (Skill.WRITING, {"text": "  \n "}, "answer.text"),
    (Skill.WRITING, {"text": "\u200b\u200b"}, "answer.text"),
    (Skill.WRITING, {"text": "\u200b\u200c\u200d"}, "answer.text"),
    (Skill.WRITING, {"text": "\ufeff \u2060\t"}, "answer.text"),
    (Skill.WRITING, {"text": "\u200bHi\u200b"}, None),
    (Skill.SPEAKING, {"audioUrl": "\u200b", "durationSeconds": 1}, "answer.audioUrl"),
    (Skill.WRITING, {"text": 42}, "answer.text"),
    (Skill.SPEAKING, {"durationSeconds": 3}, "answer.audioUrl"),
    (Skill.SPEAKING, {"audioUrl": "", "durationSeconds": 3}, "answer.audioUrl"),
    (Skill.SPEAKING, {"audioUrl": "u"}, "answer.durationSeconds"),
    (Skill.SPEAKING, {"audioUrl": "u", "durationSeconds": -1}, "answer.durationSeconds"),
    (Skill.SPEAKING, {"audioUrl": "u", "durationSeconds": "30"}, "answer.durationSeconds"),
    (Skill.SPEAKING, {"audioUrl": "u", "durationSeconds": True}, "answer.durationSeconds"),
    (Skill.SPEAKING, {"audioUrl": "u", "durationSeconds": 1, "transcript": 7}, "answer.transcript"),
]


def test_the_database_names_the_field_of_a_writing_or_speaking_answer(engine: Engine) -> None:
    with engine.connect() as conn:
        for skill, answer, field in ANSWER_RULES:
            refusal = conn.execute(
                sa.text("SELECT grading_answer_refusal(:s, CAST(:a AS jsonb), false, :m)"),
                {"s": skill.value, "a": json.dumps(answer), "m": ANSWER_MAX_BYTES},
            ).scalar_one()
            assert (refusal[1] if refusal else None) == field, (skill, answer, refusal)


def test_size_is_counted_on_compact_utf8_json(engine: Engine) -> None:
    # {"text":""} is 11 bytes, an é is 2: ten of them fit 31 bytes, one more character not
    with engine.connect() as conn:
        for text, refusal in (("\u00e9" * 10, None), ("\u00e9" * 10 + "x", "answer_too_large")):
            found = conn.execute(
                sa.text("SELECT grading_answer_refusal('writing', CAST(:a AS jsonb), false, 31)"),
                {"a": json.dumps({"text": text})},
            ).scalar_one()
            assert (found[0] if found else None) == refusal
            if found:
                assert "32 bytes" in found[2]
