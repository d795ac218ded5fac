"""A valid intake request for a new learner and question, and the intake row counts a test
expects: nothing, or one of each."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from domain.enums import QuestionFormat
from tests.factories import INTAKE_TABLES, answer_key_for, make_question, make_user, valid_answer

NOTHING = dict.fromkeys(INTAKE_TABLES, 0)
ONE_EACH = dict.fromkeys(INTAKE_TABLES, 1)


def seed(
    session: Session, question_format: QuestionFormat = QuestionFormat.READING_MCQ
) -> dict[str, Any]:
    """The keyword arguments of a valid request for a new learner and question."""
    return {
        "request_id": uuid.uuid4(),
        "user_id": make_user(session),
        "question_id": make_question(session, format=question_format),
        "answer": valid_answer(question_format, answer_key_for(question_format)),
    }
