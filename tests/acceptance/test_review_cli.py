"""`vstep-grading review list|show|claim|submit`, run as a reviewer would."""

from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from devtools import demo_texts as texts
from domain.enums import QuestionFormat, UserRole
from domain.messages import parse_grading_request
from tests.acceptance.cli import run_cli
from tests.engines import engine_of
from tests.factories import make_question, make_user, valid_answer
from tests.integration.pipeline_checks import written
from workers.actors import RetryPolicy
from workers.grading import Delivery, GradingService
from workers.results import CallbackService, ResultSettings

F = QuestionFormat


def graded(factory: sessionmaker[Session], question: uuid.UUID, text: str) -> uuid.UUID:
    """A writing submission through intake, graded at once by the built-in grader."""
    return graded_answer(factory, question, {"text": text})


def graded_answer(
    factory: sessionmaker[Session], question: uuid.UUID, answer: dict[str, Any]
) -> uuid.UUID:
    """A submission of ``answer`` through intake, graded at once as the worker does."""
    with factory.begin() as session:
        user_id = make_user(session)
    sid = submit_in_new_transaction(
        factory,
        request_id=uuid.uuid4(),
        user_id=user_id,
        question_id=question,
        answer=answer,
    ).submission_id
    with factory.begin() as session:
        message_id, payload = session.execute(
            sa.text("SELECT id, payload FROM outbox WHERE submission_id = :id"), {"id": sid}
        ).one()
    GradingService(engine_of(factory)).grade(
        parse_grading_request(payload),
        Delivery(str(message_id), max_retries=RetryPolicy().max_retries, worker_id="t"),
    )
    return sid


@pytest.fixture
def queue(session_factory: sessionmaker[Session]) -> dict[str, uuid.UUID]:
    """Submissions waiting for review at three priorities, and two reviewers."""
    with session_factory.begin() as session:
        question = make_question(session, format=F.WRITING_TASK_2, content=texts.WRITING_TASK_2)
        first = make_user(session, role=UserRole.INSTRUCTOR)
        second = make_user(session, role=UserRole.INSTRUCTOR)
    ladder = dict(texts.ESSAY_LADDER)
    return {
        "medium": graded(session_factory, question, ladder["fair"]),
        "high": graded(session_factory, question, ladder["poor"]),
        "critical": graded(session_factory, question, texts.ESSAY_PROMPT_COPY),
        "critical_later": graded(session_factory, question, ladder["very short"]),
        "first": first,
        "second": second,
    }


def cli_json(env: dict[str, str], *args: str) -> Any:
    result = run_cli(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def row(engine: Engine, sid: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT status::text AS status, score, grading_mode::text AS mode, audit_flag, "
                "reviewer_id, claimed_by FROM submissions WHERE id = :id"
            ),
            {"id": sid},
        ).one()


def test_the_queue_lists_the_most_urgent_first_then_the_oldest(
    queue: dict[str, uuid.UUID], child_env: dict[str, str]
) -> None:
    listed = cli_json(child_env, "review", "list")
    assert [item["id"] for item in listed] == [
        str(queue["critical"]),
        str(queue["critical_later"]),
        str(queue["high"]),
        str(queue["medium"]),
    ]
    only = cli_json(child_env, "review", "list", "--priority", "high")
    assert [item["id"] for item in only] == [str(queue["high"])]
    shown = cli_json(child_env, "review", "show", str(queue["critical"]))
    assert shown["answer"] == {"text": texts.ESSAY_PROMPT_COPY}
    assert "confidenceFactors" in shown["result"]
    assert [e["kind"] for e in shown["events"]][-1] == "review_requested"
    bad = run_cli("review", "list", "--priority", "urgent", env=child_env)
    assert bad.returncode == 2 and "--priority: 'urgent' is not a priority" in bad.stderr


def test_two_reviewers_claiming_at_once_one_wins_and_the_other_is_told_who(
    queue: dict[str, uuid.UUID], child_env: dict[str, str], engine: Engine
) -> None:
    sid = queue["high"]
    results: dict[str, Any] = {}

    def claim(who: str) -> None:
        results[who] = run_cli(
            "review", "claim", str(sid), "--reviewer", str(queue[who]), env=child_env
        )

    threads = [threading.Thread(target=claim, args=(who,)) for who in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(result.returncode for result in results.values())
    assert codes == [0, 1], {who: r.stderr for who, r in results.items()}
    winner = next(who for who, result in results.items() if result.returncode == 0)
    loser = "second" if winner == "first" else "first"
    assert f"is claimed by {queue[winner]}" in results[loser].stderr
    assert row(engine, sid).claimed_by == queue[winner]
    # the holder is not offered to others as unclaimed
    unclaimed = cli_json(child_env, "review", "list", "--unclaimed")
    assert str(sid) not in [item["id"] for item in unclaimed]


def test_a_lapsed_claim_is_taken_over(
    queue: dict[str, uuid.UUID], child_env: dict[str, str], engine: Engine
) -> None:
    sid = queue["medium"]
    assert (
        run_cli(
            "review", "claim", str(sid), "--reviewer", str(queue["first"]), env=child_env
        ).returncode
        == 0
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE submissions SET claimed_at = now() - interval '31 minutes' WHERE id = :id"
            ),
            {"id": sid},
        )
    taken = run_cli("review", "claim", str(sid), "--reviewer", str(queue["second"]), env=child_env)
    assert taken.returncode == 0, taken.stderr
    assert row(engine, sid).claimed_by == queue["second"]


def test_a_review_finalizes_once_through_the_result_path(
    queue: dict[str, uuid.UUID], child_env: dict[str, str], engine: Engine
) -> None:
    sid = queue["medium"]
    ai_score = row(engine, sid).score
    first, second = str(queue["first"]), str(queue["second"])
    assert run_cli("review", "claim", str(sid), "--reviewer", first, env=child_env).returncode == 0
    # another reviewer cannot review what the first holds
    held = run_cli(
        "review", "submit", str(sid), "--reviewer", second, "--score", "6", env=child_env
    )
    assert held.returncode == 1 and f"claimed by {first}" in held.stderr
    # a score out of range is refused, naming the option typed, and changes nothing
    bad = run_cli("review", "submit", str(sid), "--reviewer", first, "--score", "11", env=child_env)
    assert bad.returncode == 2 and "--score:" in bad.stderr and "overallScore" not in bad.stderr
    assert row(engine, sid).status == "review_pending"
    # the holder's review, close to the AI score: merged (hybrid)
    done = run_cli(
        "review",
        "submit",
        str(sid),
        "--reviewer",
        first,
        "--score",
        str(ai_score),
        "--criteria",
        '{"grammar": 6}',
        "--comment",
        "Fair essay, too short.",
        env=child_env,
    )
    assert done.returncode == 0, done.stderr
    final = row(engine, sid)
    assert (final.status, final.mode, final.reviewer_id, final.score) == (
        "completed",
        "hybrid",
        queue["first"],
        ai_score,
    )
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM processed_callbacks WHERE submission_id = :id"),
                {"id": sid},
            ).scalar_one()
            == 1
        )
        result = conn.execute(
            sa.text("SELECT result FROM submission_details WHERE submission_id = :id"), {"id": sid}
        ).scalar_one()
    assert result["human"]["comment"] == "Fair essay, too short." and result["ai"] is not None
    # a second review finds it final
    again = run_cli(
        "review", "submit", str(sid), "--reviewer", first, "--score", "2", env=child_env
    )
    assert again.returncode != 0
    assert row(engine, sid).score == ai_score


def in_review(factory: sessionmaker[Session], engine: Engine, ai_score: float) -> uuid.UUID:
    """A writing submission whose AI result (``ai_score``, confidence 72) waits for review."""
    with factory.begin() as session:
        learner = make_user(session)
        question = make_question(session, format=F.WRITING_TASK_1)
    intake = submit_in_new_transaction(
        factory,
        request_id=uuid.uuid4(),
        user_id=learner,
        question_id=question,
        answer=valid_answer(F.WRITING_TASK_1),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE submissions SET status = 'processing' WHERE id = :id"),
            {"id": intake.submission_id},
        )
    verdict = CallbackService(factory, ResultSettings(spot_check_rate=0)).apply(
        {
            "eventId": str(uuid.uuid4()),
            "requestId": str(intake.request_id),
            "submissionId": str(intake.submission_id),
            "kind": "completed",
            "occurredAt": "2026-12-01T10:00:00Z",
            "data": {"result": {"overallScore": ai_score, "confidence": 72}},
        },
        via="test",
    )
    assert verdict == "applied"
    assert row(engine, intake.submission_id).status == "review_pending"
    return intake.submission_id


def test_only_active_staff_other_than_the_learner_may_claim_or_review(
    session_factory: sessionmaker[Session], engine: Engine, child_env: dict[str, str]
) -> None:
    # given a submission waiting for review, and people who may not review it
    sid = in_review(session_factory, engine, ai_score=6.0)
    with engine.connect() as conn:
        own = conn.execute(
            sa.text("SELECT user_id FROM submissions WHERE id = :id"), {"id": sid}
        ).scalar_one()
    with session_factory.begin() as session:
        learner = make_user(session)
        gone = make_user(session, role=UserRole.INSTRUCTOR, deleted=True)
        admin = make_user(session, role=UserRole.ADMIN)
    # its own learner made an admin since: still not their own reviewer
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET role = 'admin' WHERE id = :id"), {"id": own})
    refused = {
        learner: "is a learner; a reviewer is an admin or instructor",
        own: "is the submission's own learner",
        gone: "is deleted",
        uuid.uuid4(): "no user",
    }
    before = written(engine, sid)
    for who, why in refused.items():
        # when each tries to claim it, then to review it
        for args in (("claim",), ("submit", "--score", "6.5")):
            answer = run_cli(
                "review", args[0], str(sid), "--reviewer", str(who), *args[1:], env=child_env
            )
            # then one line names the option and why, exit 2, and nothing is written
            assert answer.returncode == 2, (args, answer.stderr)
            lines = answer.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: --reviewer: "), lines
            assert why in answer.stderr and str(who) in answer.stderr, answer.stderr
            assert written(engine, sid) == before
    # and an admin may claim and review it
    assert (
        run_cli("review", "claim", str(sid), "--reviewer", str(admin), env=child_env).returncode
        == 0
    )
    done = run_cli(
        "review", "submit", str(sid), "--reviewer", str(admin), "--score", "6", env=child_env
    )
    assert done.returncode == 0, done.stderr
    assert row(engine, sid).reviewer_id == admin


def test_a_reviewers_score_is_kept_as_given_and_the_merge_rounds_once(
    session_factory: sessionmaker[Session], engine: Engine, child_env: dict[str, str]
) -> None:
    sid = in_review(session_factory, engine, ai_score=6.0)
    with session_factory.begin() as session:
        staff = str(make_user(session, role=UserRole.INSTRUCTOR))
    before = written(engine, sid)
    # a score with two decimals is refused naming the option typed
    finer = run_cli(
        "review", "submit", str(sid), "--reviewer", staff, "--score", "6.35", env=child_env
    )
    assert finer.returncode == 2
    assert finer.stderr.startswith("error: --score: ") and "1 decimal place" in finer.stderr
    assert written(engine, sid) == before
    # when the reviewer gives 6.3 to an AI score of 6.0
    done = run_cli(
        "review", "submit", str(sid), "--reviewer", staff, "--score", "6.3", env=child_env
    )
    assert done.returncode == 0, done.stderr
    # then 0.4 * 6.0 + 0.6 * 6.3 = 6.18 is rounded once: 6.0, and the 6.3 is kept
    final = row(engine, sid)
    assert (final.status, final.mode, final.score) == ("completed", "hybrid", Decimal("6.0"))
    result = written(engine, sid)[-1]
    assert result["human"]["overallScore"] == 6.3
    assert result["final"]["overallScore"] == 6.0 and result["ai"]["overallScore"] == 6.0


def test_the_bands_offered_are_the_bands_accepted(
    session_factory: sessionmaker[Session], engine: Engine, child_env: dict[str, str]
) -> None:
    shown = run_cli("review", "submit", "--help", env={**child_env, "COLUMNS": "200"})
    assert "B1, B2, C1" in shown.stdout and "A1" not in shown.stdout and "A2" not in shown.stdout
    sid = in_review(session_factory, engine, ai_score=2.0)
    with session_factory.begin() as session:
        staff = str(make_user(session, role=UserRole.INSTRUCTOR))
    before = written(engine, sid)
    low = run_cli(
        "review", "submit", str(sid), "--reviewer", staff, "--score", "2", "--band", "A1",
        env=child_env,
    )  # fmt: skip
    assert low.returncode == 2
    assert low.stderr.startswith("error: --band: A1 is not a band a score can have (B1, B2, C1")
    wrong = run_cli(
        "review", "submit", str(sid), "--reviewer", staff, "--score", "6.3", "--band", "C1",
        env=child_env,
    )  # fmt: skip
    assert wrong.returncode == 2 and "--band: C1 is not the band of the score 6.3" in wrong.stderr
    assert written(engine, sid) == before


def test_not_waiting_for_review_is_refused_alike_by_claim_and_submit(
    session_factory: sessionmaker[Session], engine: Engine, child_env: dict[str, str]
) -> None:
    sid = in_review(session_factory, engine, ai_score=6.0)
    with session_factory.begin() as session:
        staff = str(make_user(session, role=UserRole.INSTRUCTOR))
    submit = ("review", "submit", str(sid), "--reviewer", staff, "--score", "6")
    assert run_cli(*submit, env=child_env).returncode == 0
    # a refusal given the submission's state, not a usage error: exit 1 from both
    for args in (submit, ("review", "claim", str(sid), "--reviewer", staff)):
        answer = run_cli(*args, env=child_env)
        assert answer.returncode == 1, (args, answer.stderr)
        assert f"submission {sid} is not waiting for review (status completed)" in answer.stderr
    # an id that names no submission is a usage error from both
    nobody = str(uuid.uuid4())
    for args in (
        ("review", "submit", nobody, "--reviewer", staff, "--score", "6"),
        ("review", "claim", nobody, "--reviewer", staff),
    ):
        unknown = run_cli(*args, env=child_env)
        assert unknown.returncode == 2 and f"no submission {nobody}" in unknown.stderr
