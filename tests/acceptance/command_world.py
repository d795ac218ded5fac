"""The rows the command-tree tests type into each command, and running a command as a shell would.

A line is what follows the command's name, as typed in a shell; `<name>` stands for a row
of the world below (`<review>`: a submission of its own waiting for review, and so on).
"""

from __future__ import annotations

import io
import re
import shlex
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.review_queue import review_claim
from db.session import make_engine, make_session_factory
from db.tokens import issue_token
from db.urls import parse_database_url
from devtools import demo_texts as texts
from domain.enums import QuestionFormat, UserRole
from tests.acceptance.reviews import graded, graded_answer
from tests.exam_fixtures import make_exam
from tests.factories import answer_key_of, make_question, make_user, objective_answer
from workers.cli import main as cli_main

PASSWORD = "a long enough password"

# --- the rows the commands find --------------------------------------------------------


@dataclass
class World:
    factory: sessionmaker[Session]
    url: str
    learner: uuid.UUID
    instructor: uuid.UUID
    writing_question: uuid.UUID
    completed: uuid.UUID = field(init=False)
    exam: uuid.UUID = field(init=False)

    def review(self) -> str:
        """A writing submission of its own waiting for review (a run may complete it)."""
        return str(graded(self.factory, self.writing_question, texts.ESSAY_LADDER[3][1]))

    def claimed(self) -> str:
        """The same, claimed by the instructor."""
        sid = self.review()
        with self.factory.begin() as session:
            review_claim(session, id=uuid.UUID(sid), reviewer=self.instructor, claim_minutes=30)
        return sid

    def token(self) -> str:
        with self.factory.begin() as session:
            return issue_token(session, user_id=self.learner).token

    def failed(self) -> str:
        return self._failed()[0]

    def failed_outbox(self) -> str:
        return self._failed()[1]

    def _failed(self) -> tuple[str, str]:
        """A failed submission and its failed outbox row, of their own."""
        sid = graded(self.factory, self.writing_question, texts.ESSAY_LADDER[1][1])
        with self.factory.begin() as session:
            session.execute(
                sa.text("UPDATE submissions SET status = 'failed' WHERE id = :id"),
                {"id": sid},
            )
            outbox = session.execute(
                sa.text(
                    "UPDATE outbox SET status = 'failed', error_message = 'refused' "
                    "WHERE submission_id = :id RETURNING id"
                ),
                {"id": sid},
            ).scalar_one()
        return str(sid), str(outbox)

    def email(self) -> str:
        return f"staff-{uuid.uuid4().hex[:12]}@platform.example"

    def head(self) -> str:
        return str(migrate.current_revision(parse_database_url(self.url)))

    def fill(self, line: str) -> list[str]:
        """The line's words, each `<name>` replaced by the world's row of that name."""

        def value(match: re.Match[str]) -> str:
            found = getattr(self, match.group(1))
            return str(found() if callable(found) else found)

        return [re.sub(r"<(\w+)>", value, word) for word in shlex.split(line)]


@pytest.fixture(scope="module")
def world(cli_migrated_db_url: str) -> Iterator[World]:
    engine = make_engine(cli_migrated_db_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        learner = make_user(session)
        instructor = make_user(session, role=UserRole.INSTRUCTOR)
        writing = make_question(
            session, format=QuestionFormat.WRITING_TASK_2, content=texts.WRITING_TASK_2
        )
        reading = make_question(session, format=QuestionFormat.READING_MCQ)
        key = answer_key_of(session, reading)
    found = World(factory, cli_migrated_db_url, learner, instructor, writing)
    found.completed = graded_answer(factory, reading, objective_answer(key, correct=3))
    found.exam = make_exam(factory).session_id
    yield found
    engine.dispose()


# --- running them as a shell would -------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run(words: list[str], monkeypatch: pytest.MonkeyPatch, url: str) -> Ran:
    """`vstep-grading WORDS` in-process, through the console script's `main()`."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr("sys.argv", ["vstep-grading", *words])
    # A person at a terminal answers a password prompt (`staff add`) with a good one, twice.
    answers = io.StringIO(f"{PASSWORD}\n" * 2)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": answers.readline().rstrip("\n"))
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            cli_main.main()
        except SystemExit as exc:
            code = exc.code
    return Ran(
        code if isinstance(code, int) else (0 if code is None else 1),
        out.getvalue(),
        err.getvalue(),
    )
