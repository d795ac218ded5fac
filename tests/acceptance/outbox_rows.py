"""Outbox rows written straight into a test's database, for the `outbox` command tests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db.models import OutboxRow, Question, Submission, SubmissionEvent, User
from db.session import transaction
from db.submissions import submission_event_append
from domain.enums import OutboxStatus, QuestionFormat, QuestionLevel, Skill
from domain.events import EventKind

REQUEST = "grading.request"
CALLBACK = "grading.callback"
P, Q, U, F = (
    OutboxStatus.PENDING,
    OutboxStatus.PROCESSING,
    OutboxStatus.PUBLISHED,
    OutboxStatus.FAILED,
)


def ago(delta: timedelta) -> sa.ColumnElement[Any]:
    return sa.func.now() - delta


class Seed:
    """Rows written straight into this test's database: one submission and its outbox."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        with transaction(factory) as session:
            user = session.execute(
                sa.insert(User)
                .values(email=f"{uuid.uuid4().hex}@example.test", password_hash="x")
                .returning(User.id)
            ).scalar_one()
            question = session.execute(
                sa.insert(Question)
                .values(
                    skill=Skill.WRITING,
                    level=QuestionLevel.B1,
                    format=QuestionFormat.WRITING_TASK_1,
                    content={"prompt": "Write a letter."},
                )
                .returning(Question.id)
            ).scalar_one()
            self.submission_id: uuid.UUID = session.execute(
                sa.insert(Submission)
                .values(user_id=user, question_id=question, skill=Skill.WRITING)
                .returning(Submission.id)
            ).scalar_one()

    def outbox(
        self,
        status: OutboxStatus,
        *,
        message_type: str = REQUEST,
        created: timedelta = timedelta(0),
        attempts: int = 0,
        error: str | None = None,
        locked: timedelta | None = None,
        locked_by: str | None = None,
        published: timedelta | None = None,
    ) -> uuid.UUID:
        """One outbox row; the timedeltas say how long ago each timestamp was."""
        with transaction(self.factory) as session:
            return session.execute(
                sa.insert(OutboxRow)
                .values(
                    submission_id=self.submission_id,
                    message_type=message_type,
                    payload={"submissionId": str(self.submission_id), "skill": "writing"},
                    status=status,
                    attempts=attempts,
                    error_message=error,
                    created_at=ago(created),
                    locked_at=None if locked is None else ago(locked),
                    locked_by=locked_by,
                    published_at=None if published is None else ago(published),
                )
                .returning(OutboxRow.id)
            ).scalar_one()

    def event(self, kind: str, data: dict[str, Any]) -> None:
        with transaction(self.factory) as session:
            submission_event_append(
                session, submission_id=self.submission_id, kind=EventKind(kind), data=data
            )

    def row(self, id: uuid.UUID) -> OutboxRow | None:
        with self.factory() as session:
            return session.get(OutboxRow, id)

    def events(self, kind: str) -> list[dict[str, Any] | None]:
        with self.factory() as session:
            return list(
                session.execute(
                    sa.select(SubmissionEvent.data)
                    .where(SubmissionEvent.kind == kind)
                    .order_by(SubmissionEvent.occurred_at)
                ).scalars()
            )


@pytest.fixture
def seed(session_factory: sessionmaker[Session]) -> Seed:
    return Seed(session_factory)


@pytest.fixture
def env(child_env: dict[str, str]) -> dict[str, str]:
    # Wide enough that Rich never folds a UUID in a table cell.
    return {**child_env, "COLUMNS": "300"}


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]
