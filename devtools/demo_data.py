"""Realistic demo content: one objective question per format, and learners who answer them."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from db.platform_rows import question_create, user_create
from devtools.demo_texts import demo_text_answer, demo_texts_questions
from domain.enums import QuestionFormat, QuestionLevel, Skill

_F = QuestionFormat
TRUE_FALSE_NOT_GIVEN = {"A": "True", "B": "False", "C": "Not given"}


def abcd(*options: str) -> dict[str, str]:
    """Options labelled A, B, C, D in order."""
    return dict(zip("ABCD", options, strict=True))


def numbered(*items: tuple[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Multiple-choice items numbered from 1: each (prompt, options)."""
    return [
        {"number": number, "prompt": prompt, "options": options}
        for number, (prompt, options) in enumerate(items, start=1)
    ]


READING_MCQ = {
    "title": "Community gardens",
    "passage": (
        "In many cities, empty plots of land have been turned into community gardens. "
        "Residents rent a small bed for a modest fee, grow vegetables, and share tools. "
        "Researchers found that gardeners ate more fresh food and knew more neighbours."
    ),
    "items": numbered(
        ("What did residents pay for?", abcd("Tools", "A bed", "Seeds", "Lessons")),
        ("Gardeners ate more ...", abcd("meat", "bread", "fresh food", "sweets")),
        ("The gardens were built on ...", abcd("roofs", "empty plots", "farms", "parks")),
        (
            "A social benefit was knowing more ...",
            abcd("neighbours", "farmers", "teachers", "tourists"),
        ),
    ),
}
READING_MCQ_KEY = {"1": "B", "2": "C", "3": "B", "4": "A"}

READING_TNG = {
    "passage": "The museum opens at nine on weekdays. Entry is free for students on Mondays.",
    "items": numbered(
        ("The museum opens at nine on Saturdays.", TRUE_FALSE_NOT_GIVEN),
        ("Students pay nothing on Mondays.", TRUE_FALSE_NOT_GIVEN),
        ("The museum has a café.", TRUE_FALSE_NOT_GIVEN),
    ),
}
READING_TNG_KEY = {"1": "C", "2": "A", "3": "C"}

MATCHING_HEADINGS = {
    "paragraphs": [
        {"label": "A", "text": "Solar panels now cost a fraction of their price ten years ago."},
        {"label": "B", "text": "Storing energy for the night remains the hardest problem."},
        {"label": "C", "text": "Governments offer tax credits to households that install panels."},
    ],
    "headings": [
        "i. Public support",
        "ii. Falling prices",
        "iii. The storage challenge",
        "iv. A short history",
    ],
    "items": [
        {"number": 1, "targetParagraph": "A"},
        {"number": 2, "targetParagraph": "B"},
        {"number": 3, "targetParagraph": "C"},
    ],
}
MATCHING_HEADINGS_KEY = {"1": "ii", "2": "iii", "3": "i"}

GAP_FILL = {
    "textWithGaps": (
        "Dear Sir, I am writing to (1) ___ about the (2) ___ of my order, which (3) ___ yesterday."
    ),
    "items": [
        {"number": 1, "options": ["complain", "complaint", "complaining"]},
        {"number": 2, "options": ["delay", "delayed", "delays"]},
        {"number": 3, "options": ["arrive", "arrived", "arriving"]},
    ],
}
GAP_FILL_KEY = {"1": "complain", "2": "delay", "3": "arrived"}

LISTENING_MCQ = {
    "audioUrl": "https://media.example.org/vstep/listening/announcement-12.mp3",
    "transcript": "The train to Hue will leave from platform four at ten fifteen.",
    "items": numbered(
        ("Where is the train going?", abcd("Hanoi", "Hue", "Da Nang", "Vinh")),
        ("Which platform?", abcd("2", "3", "4", "5")),
        ("When does it leave?", abcd("10:15", "10:50", "11:15", "9:45")),
    ),
}
LISTENING_MCQ_KEY = {"1": "B", "2": "C", "3": "A"}

DICTATION = {
    "audioUrl": "https://media.example.org/vstep/listening/dictation-03.mp3",
    "transcriptWithGaps": "Please (1) ___ your seat belt and (2) ___ your phone (3) ___.",
    "items": [
        {"number": 1, "correctText": "fasten"},
        {"number": 2, "correctText": "switch off"},
        {"number": 3, "correctText": "now"},
    ],
}
DICTATION_KEY = {"1": "fasten", "2": "switch off", "3": "now"}

QUESTIONS: dict[QuestionFormat, tuple[dict[str, Any], dict[str, str]]] = {
    _F.READING_MCQ: (READING_MCQ, READING_MCQ_KEY),
    _F.READING_TNG: (READING_TNG, READING_TNG_KEY),
    _F.READING_MATCHING_HEADINGS: (MATCHING_HEADINGS, MATCHING_HEADINGS_KEY),
    _F.READING_GAP_FILL: (GAP_FILL, GAP_FILL_KEY),
    _F.LISTENING_MCQ: (LISTENING_MCQ, LISTENING_MCQ_KEY),
    _F.LISTENING_DICTATION: (DICTATION, DICTATION_KEY),
}

WRONG_CHOICES = ("A", "B", "C", "D", "i", "iv", "delayed", "arrive", "fasting", "switch of")


@dataclass(frozen=True)
class DemoQuestion:
    id: uuid.UUID
    format: QuestionFormat
    key: dict[str, str]
    # A writing or speaking question's name in devtools/demo_texts.py.
    text_name: str | None = None


def create_demo_content(
    session: Session, *, learners: int, with_texts: bool = False
) -> tuple[list[tuple[uuid.UUID, float]], list[DemoQuestion]]:
    """Learners (id, ability 0..1), one question per objective format, and the writing and
    speaking questions of devtools/demo_texts.py when ``with_texts``."""
    run = uuid.uuid4().hex[:6]
    rng = random.Random(run)
    users = []
    for n in range(learners):
        user_id = user_create(
            session,
            email=f"learner{n:03d}.{run}@demo.vstep.example",
            full_name=f"Demo Learner {n:03d}",
        )
        users.append((user_id, rng.uniform(0.35, 0.95)))
    questions = []
    for fmt, (content, key) in QUESTIONS.items():
        question_id = question_create(
            session,
            question_format=fmt,
            level=QuestionLevel.B1,
            content=content,
            answer_key={"correctAnswers": key},
        )
        questions.append(DemoQuestion(question_id, fmt, key))
    for name, (fmt, content) in (demo_texts_questions() if with_texts else {}).items():
        question_id = question_create(
            session, question_format=fmt, level=QuestionLevel.B2, content=content
        )
        questions.append(DemoQuestion(question_id, fmt, {}, text_name=name))
    return users, questions


def demo_answer(rng: random.Random, question: DemoQuestion, ability: float) -> dict[str, Any]:
    """An answer a learner of this ability might give: sloppy case and spaces included."""
    if question.text_name is not None:
        return demo_text_answer(rng, question.text_name, ability)
    answers: dict[str, str] = {}
    for number, right in question.key.items():
        roll = rng.random()
        if roll > 0.97:
            continue  # skipped item: counted wrong
        if roll < ability:
            answers[number] = right.upper() if rng.random() < 0.2 else f" {right} "
        else:
            answers[number] = rng.choice([c for c in WRONG_CHOICES if c != right])
    return {"answers": answers}


def submit_demo_answer(
    factory: sessionmaker[Session],
    rng: random.Random,
    users: Sequence[tuple[uuid.UUID, float]],
    questions: Sequence[DemoQuestion],
    *,
    sla: Mapping[Skill, timedelta],
    ability: float | None = None,
) -> None:
    """One answer through intake, as a producer sends it: a random learner's to a random
    question, at the learner's ability unless ``ability`` says otherwise."""
    user_id, learner_ability = rng.choice(users)
    question = rng.choice(questions)
    answer = demo_answer(rng, question, learner_ability if ability is None else ability)
    submit_in_new_transaction(
        factory, request_id=uuid.uuid4(), user_id=user_id, question_id=question.id,
        answer=answer, sla=sla,
    )  # fmt: skip
