"""A full mock exam through intake, the relay, a worker, the reviewers and an operator's retry."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import dramatiq
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.clock import database_now
from db.exam_intake import submit_exam
from db.result_apply import result_apply
from db.results import result_lock
from db.submission_retry import submission_retry
from devtools import demo_texts as texts
from domain.enums import QuestionFormat, Skill, UserRole
from domain.results import HumanReview, decide
from domain.scoring import round_half_up
from tests.exam_fixtures import ExamFixture, make_exam
from tests.factories import make_user
from tests.integration.exam_rows import parts, session_row
from tests.waiting import wait_until
from workers.relay import Relay
from workers.results import CallbackService, ResultSettings

F = QuestionFormat


def grade_parts(
    engine: Engine,
    session_id: uuid.UUID,
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
    *,
    also: str | None = None,
) -> None:
    """Relay the session's parts and grade them until each is completed or in review
    (or ``also``)."""
    settled = {"completed", "review_pending", also}
    make_relay().run_once()
    start_worker()
    wait_until(
        lambda: all(p.status in settled for p in parts(engine, session_id)),
        timeout=30,
        message="parts not graded",
    )


def review_all(factory: sessionmaker[Session], engine: Engine, session_id: uuid.UUID) -> int:
    """A reviewer agrees with every AI score waiting for review; how many were reviewed."""
    service = CallbackService(factory, ResultSettings(spot_check_rate=0))
    reviewer = _reviewer(factory)
    waiting = [p for p in parts(engine, session_id) if p.status == "review_pending"]
    for p in waiting:
        service.apply(_review(p, reviewer), via="test")
    return len(waiting)


def _reviewer(factory: sessionmaker[Session]) -> uuid.UUID:
    with factory.begin() as session:
        return make_user(session, role=UserRole.INSTRUCTOR)


def _review(p: Any, reviewer: uuid.UUID, score: Decimal | None = None) -> dict[str, Any]:
    return {
        "eventId": str(uuid.uuid4()),
        "requestId": str(p.request_id),
        "submissionId": str(p.id),
        "kind": "review",
        "occurredAt": datetime.now(UTC).isoformat(),
        "data": {"reviewerId": str(reviewer), "overallScore": float(score or p.score or 5)},
    }


def expected_scores(fixture: ExamFixture, engine: Engine) -> dict[str, Decimal]:
    """The session's scores as the rules of the issue compute them, from the parts' rows."""
    by_id = {p.question_id: p for p in parts(engine, fixture.session_id)}
    scores: dict[str, Decimal] = {}
    for skill in (Skill.LISTENING, Skill.READING):
        qids = [q for q, f in fixture.questions.items() if by_id[q].skill == skill.value]
        right = sum(fixture.right[q][0] for q in qids)
        total = sum(fixture.right[q][1] for q in qids)
        scores[skill.value] = round_half_up(Fraction(right, total) * 10)
    task = {fixture.questions[q]: by_id[q].score for q in by_id if by_id[q].skill == "writing"}
    scores["writing"] = round_half_up(
        Fraction(task[F.WRITING_TASK_1]) / 3 + Fraction(task[F.WRITING_TASK_2]) * 2 / 3
    )
    speaking = [Fraction(p.score) for p in by_id.values() if p.skill == "speaking"]
    scores["speaking"] = round_half_up(sum(speaking) / len(speaking))
    scores["overall"] = round_half_up(sum(Fraction(v) for v in scores.values()) / 4)
    return scores


def test_a_full_exam_is_graded_part_by_part_and_completes_with_its_scores(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a session of 12 questions, one reading question left unanswered
    fixture = make_exam(session_factory)
    # when it is submitted, twice
    with session_factory.begin() as session:
        first = submit_exam(session, session_id=fixture.session_id)
    with session_factory.begin() as session:
        again = submit_exam(session, session_id=fixture.session_id)
    # then one submission per question, linked, each with its intake rows; the second
    # submission created nothing
    assert first.created == 12 and again.created == 0
    assert sorted(first.submission_ids) == sorted(again.submission_ids)
    assert session_row(engine, fixture.session_id).status == "submitted"
    found = parts(engine, fixture.session_id)
    assert {p.question_id for p in found} == set(fixture.questions)
    blank = [p for p in found if p.answer == {"answers": {}}]
    assert len(blank) == 1 and blank[0].skill == "reading"
    # when the pipeline grades the parts and a reviewer takes those that wait for one
    grade_parts(engine, fixture.session_id, make_relay, start_worker)
    assert session_row(engine, fixture.session_id).status == "submitted"
    assert review_all(session_factory, engine, fixture.session_id) >= 3  # speaking always waits
    # then the session completed with the four scores and the overall, computed by the rules
    done = session_row(engine, fixture.session_id)
    assert done.status == "completed" and done.completed_at is not None
    expected = expected_scores(fixture, engine)
    assert {
        "listening": done.listening_score,
        "reading": done.reading_score,
        "writing": done.writing_score,
        "speaking": done.speaking_score,
        "overall": done.overall_score,
    } == expected
    # and every objective answer says whether all its items were right
    with engine.connect() as conn:
        correct: dict[Any, Any] = dict(
            conn.execute(
                sa.text("SELECT question_id, is_correct FROM exam_answers WHERE session_id = :id"),
                {"id": fixture.session_id},
            ).all()
        )
    for qid, fmt in fixture.questions.items():
        if qid in fixture.right:
            right, total = fixture.right[qid]
            assert correct[qid] is (right == total), fmt
        else:
            assert correct[qid] is None, fmt


def test_the_last_two_parts_completing_at_once_complete_the_session_once(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a session whose essay (a doubtful one) and speaking parts wait for review
    fair_essay = {"text": dict(texts.ESSAY_LADDER)["fair"]}
    fixture = make_exam(session_factory, answers={F.WRITING_TASK_2: fair_essay})
    with session_factory.begin() as session:
        submit_exam(session, session_id=fixture.session_id)
    grade_parts(engine, fixture.session_id, make_relay, start_worker)
    waiting = [p for p in parts(engine, fixture.session_id) if p.status == "review_pending"]
    # the last two of different skills: nothing but the session row ties them together
    first = next(p for p in waiting if p.skill == "writing")
    second = next(p for p in waiting if p.skill == "speaking")
    service = CallbackService(session_factory, ResultSettings(spot_check_rate=0))
    reviewer = _reviewer(session_factory)
    for p in waiting:
        if p not in (first, second):
            service.apply(_review(p, reviewer), via="test")
    assert session_row(engine, fixture.session_id).status == "submitted"
    errors: list[BaseException] = []

    def review_second() -> None:
        try:
            service.apply(_review(second, reviewer), via="test")
        except BaseException as exc:  # reported below
            errors.append(exc)

    # when the first of the last two is finalized in a transaction still open, and the
    # second's review arrives meanwhile
    thread = threading.Thread(target=review_second)
    with session_factory.begin() as open_tx:
        locked = result_lock(open_tx, submission_id=first.id)
        assert locked is not None
        incoming = HumanReview(reviewer_id=reviewer, overall_score=first.score, band=None)
        now = database_now(open_tx)
        decision = decide(locked.state, incoming, request_id=first.request_id, now=now)
        result_apply(
            open_tx, submission=locked, decision=decision, incoming=incoming, now=now, source={}
        )
        thread.start()
        # then the second waits for the session row the first holds
        wait_until(
            lambda: _waiting_on_a_lock(engine),
            timeout=10,
            message="the second part's completion did not wait for the session row",
        )
    thread.join(timeout=30)
    assert not errors
    # and, seeing the first committed, it completes the session, once
    done = session_row(engine, fixture.session_id)
    assert done.status == "completed" and done.overall_score is not None


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def test_a_failed_part_keeps_the_session_submitted_until_an_operator_retries_it(
    engine: Engine,
    session_factory: sessionmaker[Session],
    make_relay: Callable[..., Relay],
    start_worker: Callable[..., dramatiq.Worker],
) -> None:
    # given a submitted session whose listening part's grading failed (a broken answer key)
    fixture = make_exam(session_factory)
    broken = next(q for q, f in fixture.questions.items() if f is F.LISTENING_MCQ)
    with engine.begin() as conn:
        key = conn.execute(
            sa.text("SELECT answer_key FROM questions WHERE id = :q"), {"q": broken}
        ).scalar_one()
        conn.execute(sa.text("UPDATE questions SET answer_key = NULL WHERE id = :q"), {"q": broken})
    with session_factory.begin() as session:
        submit_exam(session, session_id=fixture.session_id)
    grade_parts(engine, fixture.session_id, make_relay, start_worker, also="failed")
    review_all(session_factory, engine, fixture.session_id)
    failed = [p for p in parts(engine, fixture.session_id) if p.status == "failed"]
    assert [p.question_id for p in failed] == [broken]
    # then the session waits, with no overall score
    waiting = session_row(engine, fixture.session_id)
    assert waiting.status == "submitted" and waiting.overall_score is None
    # when the key is mended and an operator retries the part
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE questions SET answer_key = CAST(:k AS jsonb) WHERE id = :q"),
            {"k": json.dumps(key), "q": broken},
        )
    with session_factory.begin() as session:
        submission_retry(session, ids=[failed[0].id], stall_seconds=120, by="operator")
    make_relay().run_once()
    # then it is graded and the session completes
    wait_until(
        lambda: session_row(engine, fixture.session_id).status == "completed",
        timeout=30,
        message="session not completed after the retry",
    )
    assert (
        session_row(engine, fixture.session_id).overall_score
        == expected_scores(fixture, engine)["overall"]
    )
