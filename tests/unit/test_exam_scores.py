"""domain.exams: the session's skill scores and overall score (docs/scoring.md#numbers, #exams)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.enums import FORMAT_SKILL, QuestionFormat, SubmissionStatus
from domain.exams import (
    Part,
    all_items_right,
    part_request_id,
    session_scores,
)

F = QuestionFormat
S = SubmissionStatus


def part(
    fmt: F,
    score: str | None,
    *,
    correct: int | None = None,
    total: int | None = None,
    status: S = S.COMPLETED,
) -> Part:
    return Part(
        uuid.uuid4(),
        uuid.uuid4(),
        FORMAT_SKILL[fmt],
        fmt,
        status,
        Decimal(score) if score is not None else None,
        correct,
        total,
    )


def full(**overrides: list[Part]) -> list[Part]:
    parts = {
        "listening": [part(F.LISTENING_MCQ, "5", correct=5, total=10)],
        "reading": [part(F.READING_MCQ, "10", correct=10, total=10)],
        "writing": [part(F.WRITING_TASK_1, "6"), part(F.WRITING_TASK_2, "7")],
        "speaking": [part(F.SPEAKING_PART_1, "6")],
    }
    parts.update(overrides)
    return [p for group in parts.values() for p in group]


def test_listening_and_reading_count_items_across_their_questions() -> None:
    # 8 + 12 + 15 items, 7 + 9 + 10 right: 26 / 35 * 10 = 7.428... -> 7.5
    listening = [
        part(F.LISTENING_MCQ, "9", correct=7, total=8),
        part(F.LISTENING_MCQ, "7.5", correct=9, total=12),
        part(F.LISTENING_DICTATION, "6.5", correct=10, total=15),
    ]
    scores = session_scores(full(listening=listening))
    assert scores is not None and scores.listening == Decimal("7.5")
    assert scores.reading == Decimal("10.0")


@pytest.mark.parametrize(
    ("task1", "task2", "expected"),
    [
        ("6", "7", "6.5"),  # 2 + 4.666 = 6.666 -> 6.5
        ("5", "8", "7.0"),  # 1.666 + 5.333 = 7.0
        ("7.5", "5.5", "6.0"),  # 2.5 + 3.666 = 6.166 -> 6.0
        ("6.5", "6.5", "6.5"),
        ("4", "5.5", "5.0"),  # 1.333 + 3.666 = 5.0
        ("5.5", "5.5", "5.5"),
        ("3", "6", "5.0"),  # 1 + 4 = 5
        ("4.5", "6", "5.5"),  # 1.5 + 4 = 5.5
        ("5", "6.5", "6.0"),  # 1.666 + 4.333 = 6.0
        ("5.5", "6.25", "6.0"),  # 1.833 + 4.166 = 6.0
        ("6", "6.25", "6.0"),  # 2 + 4.1666 = 6.1666 -> 6.0
        ("6.5", "6.25", "6.5"),  # 2.1666 + 4.1666 = 6.333 -> 6.5
    ],
)
def test_writing_weighs_task_two_twice_and_rounds_half_up(
    task1: str, task2: str, expected: str
) -> None:
    writing = [part(F.WRITING_TASK_1, task1), part(F.WRITING_TASK_2, task2)]
    scores = session_scores(full(writing=writing))
    assert scores is not None and scores.writing == Decimal(expected)


def test_one_writing_task_alone_is_the_writing_score() -> None:
    scores = session_scores(full(writing=[part(F.WRITING_TASK_2, "6.5")]))
    assert scores is not None and scores.writing == Decimal("6.5")


def test_speaking_is_the_mean_of_its_parts_and_overall_the_mean_of_four_rounded_half_up() -> None:
    speaking = [
        part(F.SPEAKING_PART_1, "6"),
        part(F.SPEAKING_PART_2, "6.5"),
        part(F.SPEAKING_PART_3, "6"),
    ]
    # mean 6.1666 -> 6.0
    scores = session_scores(full(speaking=speaking))
    assert scores is not None and scores.speaking == Decimal("6.0")
    # (5 + 10 + 6.5 + 6) / 4 = 6.875 -> 7.0
    assert scores.overall == Decimal("7.0")
    speaking = [part(F.SPEAKING_PART_1, "6"), part(F.SPEAKING_PART_2, "6.5")]
    # mean 6.25 -> 6.5 (a half goes up)
    scores = session_scores(full(speaking=speaking))
    assert scores is not None and scores.speaking == Decimal("6.5")


def test_overall_rounds_a_quarter_up() -> None:
    # 4.5 + 10 + 6.5 + 6 = 27 / 4 = 6.75 -> 7.0
    scores = session_scores(full(listening=[part(F.LISTENING_MCQ, "4.5", correct=9, total=20)]))
    assert (
        scores is not None
        and scores.listening == Decimal("4.5")
        and scores.overall == Decimal("7.0")
    )


@pytest.mark.parametrize("status", [S.REVIEW_PENDING, S.FAILED, S.PROCESSING, S.QUEUED, S.RETRYING])
def test_a_part_without_a_final_score_keeps_the_session_waiting(status: S) -> None:
    waiting = part(F.SPEAKING_PART_1, "6" if status is S.REVIEW_PENDING else None, status=status)
    assert session_scores(full(speaking=[waiting])) is None


def test_a_session_never_completes_with_a_skill_missing() -> None:
    assert session_scores(full(speaking=[])) is None
    assert session_scores([]) is None


def test_request_ids_and_is_correct() -> None:
    # (blank answers are the database's rule: tests/integration/test_intake_rules.py)
    session, question = uuid.uuid4(), uuid.uuid4()
    assert part_request_id(session, question) == part_request_id(session, question)
    assert part_request_id(session, question) != part_request_id(question, session)
    assert all_items_right(5, 5) is True and all_items_right(4, 5) is False
    assert all_items_right(None, None) is None and all_items_right(0, 0) is False


def test_an_objective_part_a_person_scored_without_counts_weighs_in_with_its_share() -> None:
    # 10 items scored 5.0 by a reviewer (no counts) + 10 items 10 right: 15 / 20 -> 7.5
    listening = [
        part(F.LISTENING_MCQ, "5", correct=None, total=10),
        part(F.LISTENING_MCQ, "10", correct=10, total=10),
    ]
    scores = session_scores(full(listening=listening))
    assert scores is not None and scores.listening == Decimal("7.5")
