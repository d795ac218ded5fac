"""An exam of the issue's shape (3 listening, 4 reading, 2 writing, 3 speaking questions) and
a learner's session of it, written as the platform's other services would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.models import Exam, ExamAnswer, ExamSession
from devtools import demo_texts as texts
from domain.enums import QuestionFormat, QuestionLevel, Skill
from tests.factories import make_question, make_user, objective_answer, objective_key

F = QuestionFormat
# The exam of the issue: 3 listening, 4 reading, 2 writing, 3 speaking questions.
BLUEPRINT_FORMATS: dict[Skill, list[F]] = {
    Skill.LISTENING: [F.LISTENING_MCQ, F.LISTENING_MCQ, F.LISTENING_DICTATION],
    Skill.READING: [F.READING_MCQ, F.READING_TNG, F.READING_MATCHING_HEADINGS, F.READING_GAP_FILL],
    Skill.WRITING: [F.WRITING_TASK_1, F.WRITING_TASK_2],
    Skill.SPEAKING: [F.SPEAKING_PART_1, F.SPEAKING_PART_2, F.SPEAKING_PART_3],
}
ITEMS = 10


@dataclass
class ExamFixture:
    session_id: uuid.UUID
    user_id: uuid.UUID
    questions: dict[uuid.UUID, F] = field(default_factory=dict)
    # Objective questions: (items right, items) the learner's answers earn.
    right: dict[uuid.UUID, tuple[int, int]] = field(default_factory=dict)


def make_exam(
    factory: sessionmaker[Session],
    *,
    unanswered: int = 1,
    answers: dict[F, dict[str, Any]] | None = None,
) -> ExamFixture:
    """A session of the issue's exam; the learner answered every question but the first
    ``unanswered`` reading ones; objective answers get a varying number of items right."""
    with factory.begin() as session:
        user = make_user(session)
        blueprint: dict[str, Any] = {"durationMinutes": 172}
        fixture = ExamFixture(uuid.uuid4(), user)
        answered: list[tuple[uuid.UUID, dict[str, Any]]] = []
        skipped = 0
        for skill, formats in BLUEPRINT_FORMATS.items():
            ids = []
            for n, fmt in enumerate(formats):
                content = _content(fmt)
                qid = make_question(session, format=fmt, items=ITEMS, content=content)
                ids.append(str(qid))
                fixture.questions[qid] = fmt
                if skill is Skill.READING and skipped < unanswered:
                    skipped += 1
                    fixture.right[qid] = (0, ITEMS)
                    continue
                if fmt in (answers or {}):
                    answered.append((qid, answers[fmt]))  # type: ignore[index]
                elif skill in (Skill.LISTENING, Skill.READING):
                    right = ITEMS if n == 0 else ITEMS - 2 - n
                    fixture.right[qid] = (right, ITEMS)
                    answered.append(
                        (qid, objective_answer(objective_key(fmt, items=ITEMS), correct=right))
                    )
                else:
                    answered.append((qid, _text_answer(fmt)))
            blueprint[skill.value] = {"questionIds": ids}
        exam_id = session.execute(
            sa.insert(Exam).values(level=QuestionLevel.B2, blueprint=blueprint).returning(Exam.id)
        ).scalar_one()
        session.execute(
            sa.insert(ExamSession).values(id=fixture.session_id, user_id=user, exam_id=exam_id)
        )
        for qid, answer in answered:
            session.execute(
                sa.insert(ExamAnswer).values(
                    session_id=fixture.session_id, question_id=qid, answer=answer
                )
            )
    return fixture


def _content(fmt: F) -> dict[str, Any] | None:
    return {
        F.WRITING_TASK_1: texts.WRITING_TASK_1,
        F.WRITING_TASK_2: texts.WRITING_TASK_2,
        F.SPEAKING_PART_2: texts.SPEAKING_PART_2,
        F.SPEAKING_PART_3: texts.SPEAKING_PART_3,
    }.get(fmt)


def _text_answer(fmt: F) -> dict[str, Any]:
    if fmt is F.WRITING_TASK_1:
        return {"text": texts.LETTER_LADDER[0][1]}
    if fmt is F.WRITING_TASK_2:
        return {"text": texts.ESSAY_LADDER[1][1]}
    _, transcript, seconds = texts.SPEAKING_LADDER[1]
    return {
        "audioUrl": "https://cdn.example.test/s.mp3",
        "durationSeconds": seconds,
        "transcript": transcript,
    }
