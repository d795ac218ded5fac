"""Rows tests need, with realistic content: users, questions of every format, answers.

Everything here writes through the caller's SQLAlchemy session and does not commit, so
a test decides what is visible when. The producer contract run by psql is in
``tests/contracts.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import OutboxRow, Question, Submission, SubmissionDetail, SubmissionEvent, User
from domain.enums import (
    FORMAT_SKILL,
    OBJECTIVE_FORMATS,
    QuestionFormat,
    QuestionLevel,
    Skill,
    UserRole,
)

# A bcrypt-shaped placeholder: the column holds a hash, never a password.
PASSWORD_HASH = "$2b$12$KIXQJcXy3Ew1Rk0G9dFq3uS1Jr8Xq6gqvYk8YQe5m3a1n7Wc2Zr9e"

_PASSAGE = (
    "Urban beekeeping has grown quickly in the last decade. Rooftop hives now appear on "
    "hotels, schools and office blocks, and city honey sells at a premium. Ecologists "
    "warn, however, that too many hives can leave too little nectar for wild pollinators."
)
_WORDS = ("pollinators", "nectar", "rooftop", "premium", "decade", "hives", "warn", "wild")
_HEADINGS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")

ESSAY = (
    "Dear Lan,\n\nThank you for your email asking about my new flat. I moved in last "
    "month and I really enjoy living here. The flat is on the fifth floor of a quiet "
    "building near the river, so I can see boats passing every morning while I have "
    "breakfast. It has two bedrooms, a small kitchen and a balcony where I grow some "
    "herbs. The best thing is that it only takes me ten minutes to cycle to work.\n\n"
    "The only problem is the noise from the street market on Sundays, but I usually go "
    "to the library then. Why don't you visit me next weekend? We could walk along the "
    "river and try the new noodle restaurant on the corner.\n\nBest wishes,\nMinh"
)


def make_user(
    session: Session,
    *,
    role: UserRole = UserRole.LEARNER,
    email: str | None = None,
    full_name: str | None = "Nguyen Van Minh",
    deleted: bool = False,
) -> uuid.UUID:
    """A user (a live learner by default); ``deleted`` soft-deletes it."""
    user_id = uuid.uuid4()
    session.execute(
        sa.insert(User).values(
            id=user_id,
            email=email or f"learner-{user_id.hex[:12]}@example.com",
            password_hash=PASSWORD_HASH,
            full_name=full_name,
            role=role,
            deleted_at=sa.func.now() if deleted else None,
        )
    )
    return user_id


def make_question(
    session: Session,
    *,
    format: QuestionFormat = QuestionFormat.READING_MCQ,
    items: int = 5,
    level: QuestionLevel = QuestionLevel.B2,
    skill: Skill | None = None,
    is_active: bool = True,
    deleted: bool = False,
    created_by: uuid.UUID | None = None,
    content: Mapping[str, Any] | None = None,
    answer_key: Mapping[str, Any] | None = None,
) -> uuid.UUID:
    """A question of ``format`` with ``items`` items and, when objective, its answer key.

    ``skill`` defaults to the format's own; pass another to write the inconsistent row
    another service might.
    """
    question_id = uuid.uuid4()
    key = answer_key if answer_key is not None else answer_key_for(format, items=items)
    session.execute(
        sa.insert(Question).values(
            id=question_id,
            skill=skill or FORMAT_SKILL[format],
            level=level,
            format=format,
            content=dict(content) if content is not None else question_content(format, items=items),
            answer_key=dict(key) if key is not None else None,
            is_active=is_active,
            created_by=created_by,
            deleted_at=sa.func.now() if deleted else None,
        )
    )
    return question_id


def question_content(format: QuestionFormat, *, items: int = 5) -> dict[str, Any]:
    """questions.content shaped as docs/question-formats.md describes for ``format``."""
    numbers = range(1, items + 1)
    mcq = [
        {
            "number": n,
            "prompt": f"Question {n}: what does the writer say about urban hives?",
            "options": {"A": "rare", "B": "popular", "C": "banned", "D": "cheap"},
        }
        for n in numbers
    ]
    match format:
        case QuestionFormat.WRITING_TASK_1:
            return {
                "taskNumber": 1,
                "prompt": "Your friend Lan asked about your new flat. Write an email to her.",
                "instructions": "Describe the flat, say what you like and invite her.",
                "minWords": 120,
            }
        case QuestionFormat.WRITING_TASK_2:
            return {
                "taskNumber": 2,
                "prompt": "Some people think cities should ban private cars from the centre. "
                "To what extent do you agree or disagree?",
                "minWords": 250,
                "scaffolding": {"keywords": ["pollution", "public transport", "businesses"]},
            }
        case QuestionFormat.SPEAKING_PART_1:
            return {
                "partNumber": 1,
                "prompt": "Let's talk about your free time.",
                "followUpQuestions": ["What do you do at weekends?", "Do you like sport?"],
                "speakingSeconds": 180,
            }
        case QuestionFormat.SPEAKING_PART_2:
            return {
                "partNumber": 2,
                "prompt": "Your class is planning a trip. Which place is the best choice?",
                "options": ["a national park", "a history museum", "a beach resort"],
                "preparationSeconds": 60,
                "speakingSeconds": 120,
            }
        case QuestionFormat.SPEAKING_PART_3:
            return {
                "partNumber": 3,
                "prompt": "Learning a foreign language brings many benefits.",
                "mindMapNodes": ["jobs", "travel", "culture"],
                "followUpQuestions": ["Should children start learning languages early?"],
                "preparationSeconds": 60,
                "speakingSeconds": 240,
            }
        case QuestionFormat.READING_MCQ:
            return {"title": "Bees on the roof", "passage": _PASSAGE, "items": mcq}
        case QuestionFormat.READING_TNG:
            tng = {"A": "True", "B": "False", "C": "Not given"}
            return {
                "title": "Bees on the roof",
                "passage": _PASSAGE,
                "items": [
                    {"number": n, "prompt": f"Statement {n} about city honey.", "options": tng}
                    for n in numbers
                ],
            }
        case QuestionFormat.READING_MATCHING_HEADINGS:
            return {
                "paragraphs": [{"label": chr(ord("A") + n - 1), "text": _PASSAGE} for n in numbers],
                "headings": [f"{h}. Heading {h}" for h in _HEADINGS[: items + 2]],
                "items": [{"number": n, "targetParagraph": chr(ord("A") + n - 1)} for n in numbers],
            }
        case QuestionFormat.READING_GAP_FILL:
            return {
                "textWithGaps": " ".join(f"... ({n}) ..." for n in numbers),
                "items": [{"number": n, "options": list(_WORDS[:4])} for n in numbers],
            }
        case QuestionFormat.LISTENING_MCQ:
            return {
                "audioUrl": "https://cdn.example.com/listening/part1-bees.mp3",
                "transcript": _PASSAGE,
                "items": mcq,
            }
        case QuestionFormat.LISTENING_DICTATION:
            return {
                "audioUrl": "https://cdn.example.com/listening/dictation-bees.mp3",
                "transcriptWithGaps": " ".join(f"... ({n}) ..." for n in numbers),
                "items": [{"number": n} for n in numbers],
            }
    raise AssertionError(f"no content for {format}")


def answer_key_for(format: QuestionFormat, *, items: int = 5) -> dict[str, Any] | None:
    """The deterministic answer key make_question stores; None for writing and speaking."""
    if format not in OBJECTIVE_FORMATS:
        return None
    if format in (QuestionFormat.READING_MCQ, QuestionFormat.LISTENING_MCQ):
        values = ["ABCD"[(3 * n + 1) % 4] for n in range(items)]
    elif format is QuestionFormat.READING_TNG:
        values = ["ABC"[n % 3] for n in range(items)]
    elif format is QuestionFormat.READING_MATCHING_HEADINGS:
        values = [_HEADINGS[(n + 1) % len(_HEADINGS)] for n in range(items)]
    else:
        values = [_WORDS[n % len(_WORDS)] for n in range(items)]
    return {"correctAnswers": {str(n + 1): value for n, value in enumerate(values)}}


def objective_key(format: QuestionFormat, *, items: int = 5) -> dict[str, Any]:
    """answer_key_for an objective format, which always has one."""
    key = answer_key_for(format, items=items)
    assert key is not None, f"{format} is not an objective format"
    return key


def answer_key_of(session: Session, question_id: uuid.UUID) -> dict[str, Any]:
    """The stored answer key of an objective question."""
    key = session.execute(
        sa.select(Question.answer_key).where(Question.id == question_id)
    ).scalar_one()
    assert key is not None, f"question {question_id} has no answer key"
    return dict(key)


def objective_answer(
    answer_key: Mapping[str, Any], *, correct: int | None = None
) -> dict[str, Any]:
    """An objective answer: the first ``correct`` items right (all when None), the rest wrong."""
    key: Mapping[str, str] = answer_key["correctAnswers"]
    numbers = sorted(key, key=int)
    right = len(numbers) if correct is None else correct
    assert 0 <= right <= len(numbers), f"correct={correct} of {len(numbers)} items"
    return {"answers": {n: key[n] if i < right else _wrong(key[n]) for i, n in enumerate(numbers)}}


def valid_answer(
    format: QuestionFormat, answer_key: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A well-formed answer for ``format``: all right when objective (needs the key)."""
    skill = FORMAT_SKILL[format]
    if skill is Skill.WRITING:
        return {"text": ESSAY}
    if skill is Skill.SPEAKING:
        return {
            "audioUrl": f"https://cdn.example.com/speaking/{uuid.uuid4().hex}.webm",
            "durationSeconds": 95,
            "transcript": "I think the national park is the best choice because...",
        }
    key = answer_key if answer_key is not None else answer_key_for(format)
    assert key is not None
    return objective_answer(key)


def _wrong(value: str) -> str:
    # An option letter moves to the next letter; free text becomes a word no key uses.
    if len(value) == 1 and value in "ABCD":
        return "ABCD"[("ABCD".index(value) + 1) % 4]
    return "unsure"


INTAKE_TABLES: Mapping[str, type[Any]] = {
    "submissions": Submission,
    "submission_details": SubmissionDetail,
    "submission_events": SubmissionEvent,
    "outbox": OutboxRow,
}


def intake_counts(session: Session) -> dict[str, int]:
    """Rows in each of the four intake tables, as this session sees them."""
    return {
        name: session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
        for name, model in INTAKE_TABLES.items()
    }
