"""`vstep-grading review claim|submit`: who may review, and what a review may set."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.enums import UserRole
from tests.acceptance.cli import run_cli
from tests.acceptance.reviews import in_review, row
from tests.factories import make_user
from tests.integration.pipeline_checks import written


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
