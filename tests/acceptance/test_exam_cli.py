"""`vstep-grading exam submit|show|list`, run as an operator would."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.acceptance.cli import run_cli
from tests.exam_fixtures import make_exam


def test_submit_show_and_list_a_session(
    session_factory: sessionmaker[Session], engine: Engine, child_env: dict[str, str]
) -> None:
    fixture = make_exam(session_factory)
    sid = str(fixture.session_id)
    shown = json.loads(run_cli("exam", "show", sid, "--json", env=child_env).stdout)
    assert shown["status"] == "in_progress" and shown["waits_for"] == "the learner to submit it"
    submitted = run_cli("exam", "submit", sid, "--json", env=child_env)
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(submitted.stdout)["created"] == 12
    again = run_cli("exam", "submit", sid, env=child_env)
    assert again.returncode == 0 and "submitted already" in again.stdout
    # one part failed, the others wait for grading
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'failed' WHERE id = "
                "(SELECT submission_id FROM exam_submissions WHERE session_id = :id "
                "ORDER BY submission_id LIMIT 1)"
            ),
            {"id": fixture.session_id},
        )
    shown = json.loads(run_cli("exam", "show", sid, "--json", env=child_env).stdout)
    assert shown["status"] == "submitted" and len(shown["parts"]) == 12
    assert "1 part(s) an operator's retry" in shown["waits_for"]
    assert "11 part(s) grading" in shown["waits_for"]
    listed = json.loads(
        run_cli("exam", "list", "--status", "submitted", "--json", env=child_env).stdout
    )
    assert [row["id"] for row in listed] == [sid]
    mine = json.loads(
        run_cli("exam", "list", "--user", str(fixture.user_id), "--json", env=child_env).stdout
    )
    assert [row["id"] for row in mine] == [sid]
    unknown = run_cli("exam", "submit", str(uuid.uuid4()), env=child_env)
    assert unknown.returncode == 2 and "no exam session" in unknown.stderr
    bad = run_cli("exam", "list", "--status", "done", env=child_env)
    assert bad.returncode == 2 and "is not an exam status" in bad.stderr


def test_an_answer_over_answer_max_bytes_is_refused_and_nothing_written(
    session_factory: sessionmaker[Session], engine: Engine, child_env: dict[str, str]
) -> None:
    # given a session whose essay is longer than this deployment takes
    fixture = make_exam(session_factory)
    env = {**child_env, "ANSWER_MAX_BYTES": "200"}
    # when an operator submits it
    done = run_cli("exam", "submit", str(fixture.session_id), env=env)
    # then one line names the answer and the limit, and no part was created
    assert done.returncode == 2, done.stderr
    assert "over the limit of 200" in done.stderr and "exam_answers[" in done.stderr
    with engine.connect() as conn:
        parts = conn.execute(
            sa.text("SELECT count(*) FROM exam_submissions WHERE session_id = :id"),
            {"id": fixture.session_id},
        ).scalar_one()
    assert parts == 0
