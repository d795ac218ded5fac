"""Bad input is refused by intake naming the field, before anything is written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_for_grading
from domain.enums import QuestionFormat, Skill
from domain.errors import InvalidInput
from tests.factories import intake_counts, make_question, make_user
from tests.integration.intake_requests import NOTHING, seed

Change = Callable[[Session, dict[str, Any]], None]


BAD_INPUT: list[tuple[str, QuestionFormat, Change, str, str]] = [
    # (case, question format, change to a valid request, field, words in the message)
    (
        "unknown question",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=uuid.uuid4()),
        "question_id",
        "unknown",
    ),
    (
        "inactive question",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=make_question(s, is_active=False)),
        "question_id",
        "inactive",
    ),
    (
        "soft-deleted question",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=make_question(s, deleted=True)),
        "question_id",
        "deleted",
    ),
    (
        "format filed under another skill",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(question_id=make_question(s, skill=Skill.WRITING)),
        "question_id",
        "reading_mcq",
    ),
    (
        "unknown user",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(user_id=uuid.uuid4()),
        "user_id",
        "unknown",
    ),
    (
        "soft-deleted user",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(user_id=make_user(s, deleted=True)),
        "user_id",
        "deleted",
    ),
    (
        "skill mismatch",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(skill=Skill.LISTENING),
        "skill",
        "reading",
    ),
    ("attempt 0", QuestionFormat.READING_MCQ, lambda s, r: r.update(attempt=0), "attempt", ">= 1"),
    (
        "attempt True",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(attempt=True),
        "attempt",
        "",
    ),
    (
        "answer not an object",
        QuestionFormat.READING_MCQ,
        lambda s, r: r.update(answer=["A", "B"]),
        "answer",
        "object",
    ),
    (
        "objective answer without answers",
        QuestionFormat.LISTENING_MCQ,
        lambda s, r: r.update(answer={"text": "B"}),
        "answer.answers",
        "",
    ),
    (
        "objective item not a string",
        QuestionFormat.READING_GAP_FILL,
        lambda s, r: r.update(answer={"answers": {"1": 3}}),
        "answer.answers.1",
        "string",
    ),
    (
        "objective answer not JSON",
        QuestionFormat.READING_TNG,
        lambda s, r: r.update(answer={"answers": {"1": "A"}, "score": float("nan")}),
        "answer",
        "JSON",
    ),
    (
        "blank essay",
        QuestionFormat.WRITING_TASK_1,
        lambda s, r: r.update(answer={"text": "  \n "}),
        "answer.text",
        "",
    ),
    (
        "speaking without duration",
        QuestionFormat.SPEAKING_PART_1,
        lambda s, r: r.update(answer={"audioUrl": "https://cdn.example.com/a.webm"}),
        "answer.durationSeconds",
        "",
    ),
    (
        "speaking without audio",
        QuestionFormat.SPEAKING_PART_3,
        lambda s, r: r.update(answer={"durationSeconds": 60}),
        "answer.audioUrl",
        "",
    ),
]


@pytest.mark.parametrize(
    ("question_format", "change", "field", "words"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_naming_the_field_before_anything_is_written(
    session_factory: sessionmaker[Session],
    question_format: QuestionFormat,
    change: Change,
    field: str,
    words: str,
) -> None:
    # given a valid request with one thing wrong
    with session_factory() as session:
        request = seed(session, question_format)
        change(session, request)
        # when submitted
        with pytest.raises(InvalidInput) as refused:
            submit_for_grading(session, **request)
        # then the error names the field and why
        assert refused.value.field == field
        assert words in str(refused.value)
        # and not one row was written, even inside the caller's still-open transaction
        assert intake_counts(session) == NOTHING
