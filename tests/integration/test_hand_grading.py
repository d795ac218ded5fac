"""The floor writes what our grading writes: benchmarks/hand_grading.py against GradingService.

Each side gets its own demo learners answering the same questions with the same answers
in the same order (benchmarks/workload.py), one side graded by ``GradingService``, the
others by hand; every row the grading touches must come out the same, ids and times
apart. Every learner has goals, so the estimated band is refreshed too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.hand_grading import grade_by_hand, grade_by_hand_psycopg_async
from benchmarks.workload import Fixtures, create_fixtures, plan_workload, seed_submissions
from db.dispatch import grading_request_of
from tests.engines import engine_of
from tests.integration.pipeline_checks import scalar, statuses
from workers.grading import Delivery, GradingService, Outcome
from workers.relay import Relay

LEARNERS = 2
SUBMISSIONS = 40
WORKLOAD_SEED = 13
# Weak to strong learners: levels from A2 up, so scaffolding starts low and moves.
ABILITIES = (0.1, 0.95)
WORKER_ID = "worker-test"

Side = tuple[Fixtures, list[uuid.UUID]]


def seed_sides(session_factory: sessionmaker[Session], engine: Engine, count: int) -> list[Side]:
    """``count`` sides of LEARNERS learners each, the same planned submissions queued on each."""
    with session_factory.begin() as session:
        everyone = create_fixtures(session, learners=LEARNERS * count)
        sides = [
            Fixtures(everyone.learners[n * LEARNERS : (n + 1) * LEARNERS], everyone.questions)
            for n in range(count)
        ]
        session.execute(
            sa.text("INSERT INTO user_goals (user_id, target_band) VALUES (:u, 'B2')"),
            [{"u": learner} for learner in everyone.learners],
        )
    plan = plan_workload(
        WORKLOAD_SEED,
        learners=LEARNERS,
        questions=everyone.questions,
        count=SUBMISSIONS,
        abilities=ABILITIES,
    )
    return [(fixtures, seed_submissions(engine, fixtures, plan, queued=True)) for fixtures in sides]


def grade_ours(session_factory: sessionmaker[Session], ids: Sequence[uuid.UUID]) -> None:
    service = GradingService(engine_of(session_factory))
    for sid in ids:
        with session_factory() as session:
            request = grading_request_of(session, submission_id=sid)
        delivery = Delivery(message_id=str(sid), max_retries=3, worker_id=WORKER_ID)
        assert service.grade(request, delivery).outcome is Outcome.COMPLETED


def written(engine: Engine, side: Side) -> dict[str, Any]:
    """Every row the grading wrote for a side, without ids and times (checked apart)."""
    fixtures, ids = side
    with engine.connect() as conn:

        def rows(sql: str, **params: Any) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]

        submissions = []
        for sid in ids:
            events = rows(
                "SELECT kind, data, occurred_at FROM submission_events "
                "WHERE submission_id = :id ORDER BY occurred_at, event_id",
                id=sid,
            )
            times = [at for _, _, at in events]
            assert times == sorted(set(times)), "event times strictly increasing"
            grading_events = []
            for kind, data, _ in events:
                if kind in ("processing", "completed"):
                    assert data.pop("messageId") == str(sid)
                    grading_events.append((kind, data))
            (result,) = rows(
                "SELECT result FROM submission_details WHERE submission_id = :id", id=sid
            )[0]
            assert result.pop("gradedAt")
            submissions.append(
                {
                    "row": rows(
                        "SELECT status, score, band, confidence, grading_mode, audit_flag, "
                        "review_priority, is_late, attempt, completed_at IS NOT NULL, "
                        "completed_at = updated_at FROM submissions WHERE id = :id",
                        id=sid,
                    ),
                    "kinds": [kind for kind, _, _ in events],
                    "events": grading_events,
                    "result": result,
                    "scores": rows(
                        "SELECT skill, score, scaffolding_type, user_id = :u "
                        "FROM user_skill_scores WHERE submission_id = :id",
                        id=sid,
                        u=scalar(engine, "SELECT user_id FROM submissions WHERE id = :id", id=sid),
                    ),
                }
            )
        learners = [
            {
                "progress": rows(
                    "SELECT skill, current_level, target_level, scaffold_level, streak_count, "
                    "streak_direction, attempt_count FROM user_progress "
                    "WHERE user_id = :u ORDER BY skill",
                    u=learner,
                ),
                "goals": rows(
                    "SELECT target_band, current_estimated_band FROM user_goals WHERE user_id = :u",
                    u=learner,
                ),
            }
            for learner in fixtures.learners
        ]
    return {"submissions": submissions, "learners": learners}


def event_count(engine: Engine) -> int:
    return int(scalar(engine, "SELECT count(*) FROM submission_events"))


def test_grading_by_hand_writes_the_rows_our_grading_writes(
    session_factory: sessionmaker[Session], engine: Engine, db_url: str
) -> None:
    # given the same 40 queued submissions on three sides
    ours, by_hand, by_hand_async = seed_sides(session_factory, engine, 3)
    # when one side is graded by GradingService, one by hand (sync), one by hand (async)
    grade_ours(session_factory, ours[1])
    with psycopg.connect(db_url) as conn:
        for sid in by_hand[1]:
            grade_by_hand(conn, sid, worker_id=WORKER_ID)

    async def grade_async() -> None:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            for sid in by_hand_async[1]:
                await grade_by_hand_psycopg_async(conn, sid, worker_id=WORKER_ID)

    asyncio.run(grade_async())
    # then every submission completed, and the rows are the same on every side
    assert statuses(engine) == {"completed": 3 * SUBMISSIONS}
    expected = written(engine, ours)
    assert written(engine, by_hand) == expected
    assert written(engine, by_hand_async) == expected
    # and the workload is not trivial: several scores, scaffold levels and streaks, a band
    scores = {row["scores"][0][1] for row in expected["submissions"]}
    progress = [row for learner in expected["learners"] for row in learner["progress"]]
    assert len(scores) >= 3
    assert {row[3] for row in progress} == {1, 3}
    assert len({row[5] for row in progress}) >= 2
    assert max(row[6] for row in progress) >= 4
    assert len({learner["goals"][0][1] for learner in expected["learners"]}) == 2
    assert expected["submissions"][0]["kinds"] == ["submitted", "queued", "processing", "completed"]


def test_grading_by_hand_twice_changes_nothing(
    session_factory: sessionmaker[Session], engine: Engine, db_url: str
) -> None:
    # given submissions graded by hand
    [side] = seed_sides(session_factory, engine, 1)
    with psycopg.connect(db_url) as conn:
        for sid in side[1]:
            grade_by_hand(conn, sid)
        before = event_count(engine), written(engine, side)
        # when the same submissions are graded again (a duplicate job)
        for sid in side[1]:
            grade_by_hand(conn, sid)
    # then nothing changed
    assert (event_count(engine), written(engine, side)) == before


def test_grading_by_hand_on_asyncpg_writes_the_same_rows(
    session_factory: sessionmaker[Session], engine: Engine, db_url: str
) -> None:
    asyncpg = pytest.importorskip("asyncpg", reason="asyncpg is in the optional 'peers' extra")
    from benchmarks.hand_grading import grade_by_hand_async

    # given the same queued submissions on two sides
    ours, by_asyncpg = seed_sides(session_factory, engine, 2)
    # when one is graded by GradingService, the other by hand on asyncpg
    grade_ours(session_factory, ours[1])

    async def grade() -> None:
        conn = await asyncpg.connect(db_url)
        try:
            for sid in by_asyncpg[1]:
                await grade_by_hand_async(conn, sid, worker_id=WORKER_ID)
        finally:
            await conn.close()

    asyncio.run(grade())
    # then the rows are the same
    assert written(engine, by_asyncpg) == written(engine, ours)


def test_seeded_pending_submissions_are_what_the_relay_publishes(
    session_factory: sessionmaker[Session], engine: Engine, make_relay: Callable[..., Relay]
) -> None:
    # given 12 submissions seeded as intake leaves them
    with session_factory.begin() as session:
        fixtures = create_fixtures(session, learners=2)
    plan = plan_workload(WORKLOAD_SEED, learners=2, questions=fixtures.questions, count=12)
    ids = seed_submissions(engine, fixtures, plan, queued=False)
    assert statuses(engine) == {"pending": 12}
    # when the relay runs once
    published = make_relay().run_once()
    # then every row validated and was published, and every submission is queued
    assert published == 12
    assert statuses(engine) == {"queued": 12}
    assert scalar(engine, "SELECT count(*) FROM outbox WHERE status = 'published'") == 12
    assert len(ids) == 12
