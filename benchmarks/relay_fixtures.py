"""What both halves of the relay benchmark (benchmarks.relay, benchmarks.relay_latency)
share: the learners and questions every row refers to, and the reset between runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from benchmarks import common as bench
from devtools.demo_data import DemoQuestion
from domain.enums import QuestionFormat


@dataclass(frozen=True)
class Fixtures:
    """The learners and questions every seeded or submitted row refers to."""

    learners: list[tuple[uuid.UUID, float]]
    questions: list[DemoQuestion]

    @property
    def reading_mcq(self) -> DemoQuestion:
        return next(q for q in self.questions if q.format is QuestionFormat.READING_MCQ)


def reset(env: bench.BenchEnv, db: bench.Database) -> None:
    """No submissions and an empty broker; learners and questions stay."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE submissions CASCADE"))
    env.flush_namespace()
