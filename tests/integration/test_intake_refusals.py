"""What the database would refuse with a driver error, intake refuses first: InvalidInput
naming the field, nothing written, the caller's transaction still usable."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_for_grading
from domain.enums import QuestionFormat
from domain.errors import InvalidInput
from tests.factories import INTAKE_TABLES, intake_counts, make_question, make_user
from workers.settings import load_settings

NOTHING = dict.fromkeys(INTAKE_TABLES, 0)
SPEAKING = {"audioUrl": "https://cdn.example.com/a.webm", "durationSeconds": 95}
Change = Callable[[dict[str, Any]], None]


def seed(session: Session, question_format: QuestionFormat) -> dict[str, Any]:
    return {
        "request_id": uuid.uuid4(),
        "user_id": make_user(session),
        "question_id": make_question(session, format=question_format),
    }


CASES: list[tuple[str, QuestionFormat, dict[str, Any], str, str]] = [
    # (case, question format, what the request has, field, words in the message)
    (
        "NUL in an essay",
        QuestionFormat.WRITING_TASK_2,
        {"answer": {"text": "Dear Lan,\x00 I write"}},
        "answer.text",
        "NUL",
    ),
    (
        "NUL in an objective item",
        QuestionFormat.READING_MCQ,
        {"answer": {"answers": {"1": "A\x00"}}},
        "answer.answers.1",
        "NUL",
    ),
    (
        "NUL in a key of extra metadata",
        QuestionFormat.READING_MCQ,
        {"answer": {"answers": {"1": "A"}, "meta": {"device\x00": "phone"}}},
        "answer.meta (a key)",
        "NUL",
    ),
    (
        "lone surrogate in an essay",
        QuestionFormat.WRITING_TASK_1,
        {"answer": {"text": "Dear Lan \ud800"}},
        "answer.text",
        "surrogate",
    ),
    (
        "lone surrogate in a transcript",
        QuestionFormat.SPEAKING_PART_2,
        {"answer": SPEAKING | {"transcript": "I think \udfff"}},
        "answer.transcript",
        "surrogate",
    ),
    (
        "duration beyond a double",
        QuestionFormat.SPEAKING_PART_1,
        {"answer": SPEAKING | {"durationSeconds": 10**400}},
        "answer.durationSeconds",
        "too large",
    ),
    (
        "number beyond a double in metadata",
        QuestionFormat.LISTENING_MCQ,
        {"answer": {"answers": {"1": "A"}, "meta": [1, -(10**400)]}},
        "answer.meta[1]",
        "too large",
    ),
    (
        "attempt beyond the integer column",
        QuestionFormat.READING_MCQ,
        {"answer": {"answers": {"1": "A"}}, "attempt": 2**31},
        "attempt",
        "2147483647",
    ),
    (
        "request_id not a UUID",
        QuestionFormat.READING_MCQ,
        {"answer": {"answers": {"1": "A"}}, "request_id": "abc"},
        "request_id",
        "UUID",
    ),
    (
        "user_id not a UUID",
        QuestionFormat.READING_MCQ,
        {"answer": {"answers": {"1": "A"}}, "user_id": 42},
        "user_id",
        "UUID",
    ),
    (
        "essay of zero-width characters",
        QuestionFormat.WRITING_TASK_2,
        {"answer": {"text": " \u200b\u200c\u200d\n\u2060\ufeff "}},
        "answer.text",
        "",
    ),
    (
        "trace id with NUL",
        QuestionFormat.READING_MCQ,
        {"answer": {"answers": {"1": "A"}}, "trace_id": "t\x00"},
        "trace_id",
        "NUL",
    ),
]


@pytest.mark.parametrize(
    ("question_format", "has", "field", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_what_the_database_would_refuse_is_invalid_input(
    session_factory: sessionmaker[Session],
    question_format: QuestionFormat,
    has: dict[str, Any],
    field: str,
    words: str,
) -> None:
    with session_factory() as session:
        # given a request with one thing the database cannot take
        request = seed(session, question_format) | has
        # when submitted
        with pytest.raises(InvalidInput) as refused:
            submit_for_grading(session, **request)
        # then InvalidInput names the field
        assert refused.value.field == field
        assert words in str(refused.value)
        # and nothing was written, the transaction still usable
        assert intake_counts(session) == NOTHING


def test_a_uuid_in_its_string_form_is_accepted(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        request = seed(session, QuestionFormat.READING_MCQ)
        request["request_id"] = str(request["request_id"])
        result = submit_for_grading(session, **request, answer={"answers": {"1": "A"}})
    assert str(result.request_id) == request["request_id"]
    assert result.created


def test_an_answer_over_the_size_limit_is_refused_and_one_at_it_is_taken(
    session_factory: sessionmaker[Session],
) -> None:
    # given an essay whose compact JSON is exactly 100 bytes: {"text":"..."} is 11 + text
    essay = {"text": "x" * 89}
    with session_factory() as session:
        request = seed(session, QuestionFormat.WRITING_TASK_2) | {"answer": essay}
        # when the limit is one byte less, it is refused naming the answer and its size
        with pytest.raises(InvalidInput) as refused:
            submit_for_grading(session, **request, answer_max_bytes=99)
        assert refused.value.field == "answer"
        assert "100 bytes" in str(refused.value)
        assert intake_counts(session) == NOTHING
        # and at the limit it is taken
        assert submit_for_grading(session, **request, answer_max_bytes=100).created


def test_the_default_limit_counts_utf8_bytes_not_characters(
    session_factory: sessionmaker[Session],
) -> None:
    # given an essay of 100 000 Vietnamese characters, 3 bytes each in UTF-8 (300 kB)
    essay = {"text": "\u1ea1" * 100_000}
    with session_factory() as session:
        request = seed(session, QuestionFormat.WRITING_TASK_1) | {"answer": essay}
        with pytest.raises(InvalidInput, match="over the limit of 262144"):
            submit_for_grading(session, **request)
        assert intake_counts(session) == NOTHING


def test_answer_max_bytes_from_the_environment_is_the_limit_intake_is_handed(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the documented default, and then ANSWER_MAX_BYTES set as an operator sets it
    monkeypatch.delenv("ANSWER_MAX_BYTES", raising=False)
    assert load_settings().answer_max_bytes == 262_144
    monkeypatch.setenv("ANSWER_MAX_BYTES", "100")
    settings = load_settings()
    # when a 101-byte essay is submitted with the settings handed down as a producer does
    with session_factory() as session:
        request = seed(session, QuestionFormat.WRITING_TASK_2) | {"answer": {"text": "x" * 90}}
        with pytest.raises(InvalidInput) as refused:
            submit_for_grading(session, **request, answer_max_bytes=settings.answer_max_bytes)
        # then it is refused naming the answer and the limit, and nothing is written
        assert refused.value.field == "answer"
        assert "101 bytes of JSON, over the limit of 100" in str(refused.value)
        assert intake_counts(session) == NOTHING
