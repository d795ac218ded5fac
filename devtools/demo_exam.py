"""Mock exams for `make run`: a few learners sit an exam, which goes through the pipeline.

The exam's blueprint uses the demo's questions (two listening, four reading, two
writing, one speaking); each learner answers as their ability allows and now and then
leaves a question out. Sessions are submitted with ``db.exam_intake.submit_exam``, as the
platform's API would, and complete once every part has a final score (the speaking part
after the demo reviewer's review).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from db.exam_intake import submit_exam
from db.platform_rows import exam_answer_save, exam_create, exam_session_start
from devtools.demo_data import DemoQuestion, demo_answer
from domain.enums import FORMAT_SKILL, QuestionLevel, Skill

# Share of blueprint questions a demo learner leaves unanswered.
SKIP_SHARE = 0.05


def create_demo_exam(session: Session, questions: Sequence[DemoQuestion]) -> uuid.UUID:
    blueprint: dict[str, object] = {"durationMinutes": 172}
    for skill in Skill:
        ids = [str(q.id) for q in questions if FORMAT_SKILL[q.format] is skill]
        blueprint[skill.value] = {"questionIds": ids}
    return exam_create(session, level=QuestionLevel.B2, blueprint=blueprint)


def sit_exams(
    factory: sessionmaker[Session],
    *,
    learners: Sequence[tuple[uuid.UUID, float]],
    questions: Sequence[DemoQuestion],
    sla: Mapping[Skill, timedelta],
    rng: random.Random,
) -> tuple[list[uuid.UUID], int]:
    """One session per learner, answered and submitted; (session ids, parts to grade)."""
    with factory.begin() as session:
        exam_id = create_demo_exam(session, questions)
    sessions, parts = [], 0
    for user_id, ability in learners:
        with factory.begin() as session:
            session_id = exam_session_start(session, user_id=user_id, exam_id=exam_id)
            for question in questions:
                if rng.random() < SKIP_SHARE:
                    continue
                exam_answer_save(
                    session,
                    session_id=session_id,
                    question_id=question.id,
                    answer=demo_answer(rng, question, ability),
                )
        with factory.begin() as session:
            parts += submit_exam(session, session_id=session_id, sla=sla).created
        sessions.append(session_id)
    return sessions, parts
