"""`vstep-grading review list|show|claim|submit`, run as a reviewer would."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from devtools import demo_texts as texts
from domain.enums import QuestionFormat, UserRole
from tests.acceptance.cli import run_cli
from tests.acceptance.reviews import cli_json, graded, row
from tests.factories import make_question, make_user

F = QuestionFormat


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
