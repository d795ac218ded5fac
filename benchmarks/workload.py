"""A grading workload: who answers which demo question, how, and its rows seeded in bulk SQL.

``plan_workload`` draws the workload once from a seed; ``seed_submissions`` writes it into
any database holding demo content (``create_fixtures``), in one statement, either as
intake leaves it (pending, with a pending ``grading.request`` outbox row, as
benchmarks/relay.py seeds) or as intake and the relay leave it (queued, its outbox row
published, with the relay's 'queued' event). Learners and questions are named by their
index, so the same plan gives the same work in every database.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from devtools.demo_data import DemoQuestion, create_demo_content, demo_answer
from domain.answers import validate_answer
from domain.enums import FORMAT_SKILL
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST

# Seeded deadlines lie this far ahead, not the SLA's 5 minutes: a benchmark's backlog
# must not time out (its submissions would end failed, late, instead of completed).
SEED_DEADLINE_MINUTES = 60
# Learners' abilities (the chance of each right answer) are drawn from this range, as
# benchmarks/pipeline.py draws them.
ABILITIES = (0.35, 0.95)
# The relay id on seeded 'queued' events and published outbox rows.
SEED_RELAY_ID = "seed-relay"

# One row per planned submission: submissions, submission_details, the 'submitted'
# event, the outbox row and (queued) the relay's 'queued' event, with the payload keys
# and event data keys intake and the relay write.
SEED_SQL = sa.text(
    """
    WITH plan AS (
        SELECT p.*, now() + make_interval(mins => :deadline_minutes) AS deadline,
               md5(p.id::text) AS trace_id
        FROM unnest(
            CAST(:ids AS uuid[]), CAST(:request_ids AS uuid[]), CAST(:outbox_ids AS uuid[]),
            CAST(:user_ids AS uuid[]), CAST(:question_ids AS uuid[]),
            CAST(:skills AS text[]), CAST(:answers AS text[])
        ) WITH ORDINALITY AS p(id, request_id, outbox_id, user_id, question_id, skill, answer, n)
    ), s AS (
        INSERT INTO submissions (id, user_id, question_id, skill, status, request_id, deadline)
        SELECT id, user_id, question_id, CAST(skill AS skill),
               CAST(CASE WHEN :queued THEN 'queued' ELSE 'pending' END AS submission_status),
               request_id, deadline
        FROM plan ORDER BY n
    ), d AS (
        INSERT INTO submission_details (submission_id, answer)
        SELECT id, CAST(answer AS jsonb) FROM plan
    ), submitted AS (
        INSERT INTO submission_events (submission_id, kind, data, occurred_at)
        SELECT id, 'submitted', jsonb_build_object(
                   'requestId', request_id, 'attempt', 1, 'traceId', trace_id,
                   'questionId', question_id),
               now()
        FROM plan
    ), queued AS (
        INSERT INTO submission_events (submission_id, kind, data, occurred_at)
        SELECT id, 'queued', jsonb_build_object(
                   'outboxId', outbox_id, 'messageId', outbox_id,
                   'relayId', CAST(:relay_id AS text), 'traceId', trace_id),
               now() + interval '1 microsecond'
        FROM plan WHERE :queued
    )
    INSERT INTO outbox (id, submission_id, aggregate_type, aggregate_id, message_type, payload,
                        status, attempts, locked_at, locked_by, published_at, created_at)
    SELECT outbox_id, id, 'submission', id, :message_type,
           jsonb_build_object(
               'requestId', request_id, 'submissionId', id, 'userId', user_id,
               'skill', skill, 'attempt', 1,
               'deadline', to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               'traceId', trace_id),
           CAST(CASE WHEN :queued THEN 'published' ELSE 'pending' END AS outbox_status),
           CASE WHEN :queued THEN 1 ELSE 0 END,
           CASE WHEN :queued THEN now() END,
           CASE WHEN :queued THEN CAST(:relay_id AS text) END,
           CASE WHEN :queued THEN now() END,
           -- Distinct times, so the relay's oldest-first order is the plan's order.
           clock_timestamp()
    FROM plan ORDER BY n
    """
)


@dataclass(frozen=True)
class Planned:
    """One submission of the workload, by index into the learners and questions."""

    learner: int
    question: int
    answer: dict[str, Any]


@dataclass(frozen=True)
class Fixtures:
    """The demo learners and questions of one database."""

    learners: list[uuid.UUID]
    questions: list[DemoQuestion]


def workload_parser(
    module: str, description: str | None, submissions: int, learners: int
) -> argparse.ArgumentParser:
    """The command line of ``python -m benchmarks.<module>``, with this workload's size."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{module}", description=description)
    parser.add_argument("--submissions", type=int, default=submissions)
    parser.add_argument("--learners", type=int, default=learners)
    return parser


def create_fixtures(session: Session, *, learners: int) -> Fixtures:
    """Demo learners and one question per objective format (``create_demo_content``)."""
    users, questions = create_demo_content(session, learners=learners)
    return Fixtures([user_id for user_id, _ in users], questions)


def plan_workload(
    seed: int,
    *,
    learners: int,
    questions: Sequence[DemoQuestion],
    count: int,
    abilities: tuple[float, float] = ABILITIES,
) -> list[Planned]:
    """``count`` submissions from learners of seeded abilities, answers by ``demo_answer``."""
    rng = random.Random(seed)
    ability = [rng.uniform(*abilities) for _ in range(learners)]
    plan = []
    for _ in range(count):
        learner = rng.randrange(learners)
        question = rng.randrange(len(questions))
        answer = demo_answer(rng, questions[question], ability[learner])
        plan.append(Planned(learner, question, answer))
    return plan


def seed_submissions(
    engine: Engine,
    fixtures: Fixtures,
    plan: Sequence[Planned],
    *,
    queued: bool,
    deadline_minutes: int = SEED_DEADLINE_MINUTES,
) -> list[uuid.UUID]:
    """The plan's submissions in one statement; their ids, in plan order.

    ``queued``: as the relay leaves them (queued, outbox row published, 'queued' event);
    else as intake leaves them (pending, outbox row pending, for a relay to publish).
    Answers are stored as intake stores them (``validate_answer``).
    """
    ids = [uuid.uuid4() for _ in plan]
    questions = [fixtures.questions[item.question] for item in plan]
    with engine.begin() as conn:
        conn.execute(
            SEED_SQL,
            {
                "ids": ids,
                "request_ids": [uuid.uuid4() for _ in plan],
                "outbox_ids": [uuid.uuid4() for _ in plan],
                "user_ids": [fixtures.learners[item.learner] for item in plan],
                "question_ids": [question.id for question in questions],
                "skills": [FORMAT_SKILL[question.format].value for question in questions],
                "answers": [
                    json.dumps(validate_answer(question.format, item.answer))
                    for question, item in zip(questions, plan, strict=True)
                ],
                "queued": queued,
                "relay_id": SEED_RELAY_ID,
                "message_type": MESSAGE_TYPE_GRADING_REQUEST,
                "deadline_minutes": deadline_minutes,
            },
        )
    return ids


def analyze(engine: Engine) -> None:
    """Fresh statistics after a bulk seed, so every run plans its queries alike."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE submissions, submission_details, outbox"))
        conn.execute(sa.text("VACUUM ANALYZE submission_events, user_progress, user_skill_scores"))
