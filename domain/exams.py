"""Full mock exams (docs/scoring.md#exams): parts, their empty answers, the session's scores.

An exam session's blueprint names the questions of each skill; each question becomes one
submission (a part). The session completes when every part has a final score:
- listening, reading: every item right over every item of the skill's questions, x 10;
- writing: task 1 / 3 + task 2 x 2 / 3 (one task alone: its score);
- speaking: the mean of its parts;
- overall: the mean of the four skills;
each rounded half up to 0.5. A skill without a part, or a part without a final score,
leaves the session waiting: it never completes with a skill missing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.enums import QuestionFormat, Skill, SubmissionStatus
from domain.scoring import MAX_SCORE, round_half_up


def part_request_id(session_id: uuid.UUID, question_id: uuid.UUID) -> uuid.UUID:
    """The grading request id of a session's question: the same on every submission of the
    session, so submitting it twice creates nothing new. SQL producers compute it as
    ``CAST(md5(session_id || ':' || question_id) AS uuid)``."""
    return uuid.UUID(hashlib.md5(f"{session_id}:{question_id}".encode()).hexdigest())


@dataclass(frozen=True)
class Part:
    """One part of a session, as its submission stands."""

    submission_id: uuid.UUID
    question_id: uuid.UUID
    skill: Skill
    format: QuestionFormat
    status: SubmissionStatus
    score: Decimal | None
    # Objective parts: items right, and items in all.
    correct: int | None = None
    total: int | None = None

    @property
    def final(self) -> bool:
        if self.status is not SubmissionStatus.COMPLETED or self.score is None:
            return False
        return self.skill not in (Skill.LISTENING, Skill.READING) or self.total is not None


@dataclass(frozen=True)
class SessionScores:
    listening: Decimal
    reading: Decimal
    writing: Decimal
    speaking: Decimal
    overall: Decimal


def session_scores(parts: Sequence[Part]) -> SessionScores | None:
    """The session's scores once every part is final and every skill has one; else None."""
    if not parts or not all(part.final for part in parts):
        return None
    by_skill = {skill: [p for p in parts if p.skill is skill] for skill in Skill}
    if any(not found for found in by_skill.values()):
        return None
    listening = _objective(by_skill[Skill.LISTENING])
    reading = _objective(by_skill[Skill.READING])
    writing = _writing(by_skill[Skill.WRITING])
    speaking = round_half_up(_mean(p.score for p in by_skill[Skill.SPEAKING]))
    overall = round_half_up(_mean([listening, reading, writing, speaking]))
    return SessionScores(listening, reading, writing, speaking, overall)


def _objective(parts: Sequence[Part]) -> Decimal:
    # A part a person scored without item counts weighs in with its share of the items.
    right = sum(
        Fraction(p.correct)
        if p.correct is not None
        else Fraction(p.score or 0) / MAX_SCORE * (p.total or 0)
        for p in parts
    )
    total = sum(p.total or 0 for p in parts)
    if total <= 0:
        return round_half_up(0)
    return round_half_up(Fraction(right) / total * MAX_SCORE)


def _writing(parts: Sequence[Part]) -> Decimal:
    task1 = [p.score for p in parts if p.format is QuestionFormat.WRITING_TASK_1]
    task2 = [p.score for p in parts if p.format is QuestionFormat.WRITING_TASK_2]
    if task1 and task2:
        return round_half_up(_mean(task1) / 3 + _mean(task2) * 2 / 3)
    return round_half_up(_mean(task1 or task2))


def _mean(values: Any) -> Fraction:
    exact = [Fraction(v) for v in values if v is not None]
    return Fraction(sum(exact), len(exact)) if exact else Fraction(0)


def all_items_right(correct: int | None, total: int | None) -> bool | None:
    """exam_answers.is_correct of an objective part; None when it is not objective."""
    if correct is None or total is None:
        return None
    return total > 0 and correct == total
