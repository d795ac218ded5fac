"""Writing and speaking through intake, the relay and a worker, graded by the built-in grader."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import dramatiq
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from devtools import demo_texts as texts
from domain.enums import QuestionFormat
from tests.factories import make_question, make_user
from tests.integration.pipeline_checks import last_event_data
from tests.waiting import wait_until
from workers.relay import Relay

F = QuestionFormat
SETTLED = ("completed", "review_pending", "failed")


def submit(
    factory: sessionmaker[Session], question_id: uuid.UUID, answer: dict[str, Any]
) -> uuid.UUID:
    with factory.begin() as session:
        user_id = make_user(session)
    return submit_in_new_transaction(
        factory, request_id=uuid.uuid4(), user_id=user_id, question_id=question_id, answer=answer
    ).submission_id


def rows(engine: Engine, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT s.id, s.status::text AS status, s.score, s.review_priority::text AS "
                "priority, s.audit_flag, s.grading_mode::text AS mode, s.confidence, d.result "
                "FROM submissions s JOIN submission_details d ON d.submission_id = s.id "
                "WHERE s.id = ANY(:ids)"
            ),
            {"ids": ids},
        ).all()
    return {row.id: row for row in found}


def grade_all(
    engine: Engine,
    ids: list[uuid.UUID],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> dict[uuid.UUID, Any]:
    make_relay().run_once()
    start_worker()
    wait_until(
        lambda: all(row.status in SETTLED for row in rows(engine, ids).values()),
        timeout=30,
        message="not every submission was graded",
    )
    return rows(engine, ids)


def test_essays_are_graded_in_order_and_the_doubtful_ones_wait_for_a_person(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given the essay ladder, an off-topic essay and a copy of the prompt, on one question
    with session_factory.begin() as session:
        question = make_question(session, format=F.WRITING_TASK_2, content=texts.WRITING_TASK_2)
    ladder = [submit(session_factory, question, {"text": text}) for _, text in texts.ESSAY_LADDER]
    off_topic = submit(session_factory, question, {"text": texts.ESSAY_OFF_TOPIC})
    copy = submit(session_factory, question, {"text": texts.ESSAY_PROMPT_COPY})
    # when the pipeline grades them (no external grader is configured)
    found = grade_all(engine, [*ladder, off_topic, copy], make_relay, start_worker)
    # then the scores come back in the ladder's order
    scores = [found[sid].score for sid in ladder]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores), scores
    best = found[ladder[0]]
    assert (best.status, best.mode, best.audit_flag) == ("completed", "auto", False)
    document = best.result
    assert set(document["criteriaScores"]) == {
        "taskFulfillment",
        "organization",
        "vocabulary",
        "grammar",
    }
    assert all(c["comment"] for c in document["criteriaScores"].values())
    assert document["confidenceFactors"]["modelConsistency"]["computable"] is False
    assert document["grader"].startswith("vstep-builtin/")
    assert document["confidence"] == best.confidence >= 90
    # the short ones, the off-topic one and the copy wait for a person
    for sid in (ladder[-1], ladder[-2], off_topic):
        assert found[sid].status == "review_pending" and found[sid].audit_flag is False
        assert found[sid].priority in ("medium", "high", "critical")
    assert (found[copy].status, found[copy].priority, found[copy].audit_flag) == (
        "review_pending",
        "critical",
        True,
    )
    assert "near copy of prompt" in last_event_data(engine, copy, "review_requested")["reason"]


def test_a_copy_of_another_learners_answer_is_caught_from_the_database(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given one learner's good essay and, handed in later, another learner's near copy
    with session_factory.begin() as session:
        question = make_question(session, format=F.WRITING_TASK_2, content=texts.WRITING_TASK_2)
    original_text = dict(texts.ESSAY_LADDER)["good"]
    original = submit(session_factory, question, {"text": original_text})
    copy = submit(session_factory, question, {"text": original_text.replace("I think", "I feel")})
    # when both are graded (in whatever order the worker takes them)
    found = grade_all(engine, [original, copy], make_relay, start_worker)
    # then the later one is the copy: critical, with the audit flag, pointing at the first
    basis = found[copy].result["confidenceFactors"]["contentSimilarity"]["basis"]
    assert basis["closestSubmissionId"] == str(original) and basis["highestCosine"] > 0.9
    assert (found[copy].priority, found[copy].audit_flag) == ("critical", True)
    # and the original, compared only with what came before it, is not
    assert found[original].audit_flag is False
    first = found[original].result["confidenceFactors"]["contentSimilarity"]["basis"]
    assert "closestSubmissionId" not in first


def test_speaking_goes_to_review_for_its_pronunciation_or_its_missing_transcript(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    with session_factory.begin() as session:
        question = make_question(session, format=F.SPEAKING_PART_3, content=texts.SPEAKING_PART_3)
    _label, transcript, seconds = texts.SPEAKING_LADDER[0]
    audio = "https://cdn.example.test/answers/1.mp3"
    spoken = submit(
        session_factory,
        question,
        {"audioUrl": audio, "durationSeconds": seconds, "transcript": transcript},
    )
    silent = submit(session_factory, question, {"audioUrl": audio, "durationSeconds": 60})
    found = grade_all(engine, [spoken, silent], make_relay, start_worker)
    assert found[spoken].status == "review_pending" and found[spoken].score is not None
    criteria = found[spoken].result["criteriaScores"]
    assert criteria["pronunciation"]["score"] is None and criteria["fluency"]["score"] > 0
    assert "pronunciation" in last_event_data(engine, spoken, "review_requested")["reason"]
    assert (found[silent].status, found[silent].priority, found[silent].score) == (
        "review_pending",
        "high",
        None,
    )
    assert "no transcript" in last_event_data(engine, silent, "review_requested")["reason"]
