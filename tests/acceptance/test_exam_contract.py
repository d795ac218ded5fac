"""The exam producer contract as other languages use it: docs/exam-contract.md run by psql."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.exam_intake import EXAM_INTAKE, submit_exam
from tests.contracts import contract_refusal, psql_tables
from tests.exam_fixtures import make_exam

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "exam-contract.md"
MARKER = "<!-- exam-sql:"


def contract_sql() -> str:
    _, marker, after = CONTRACT.read_text(encoding="utf-8").partition(MARKER)
    assert marker, f"{CONTRACT} lost its {MARKER} marker"
    block = re.search(r"^```sql\n(.*?)^```", after, flags=re.S | re.M)
    assert block is not None
    return block.group(1)


def run_psql(db_url: str, session_id: uuid.UUID) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-X", "-q", db_url,
         "-v", f"session_id={session_id}",
         "-v", "trace_id=contract-test", "-f", "-"],
        input=contract_sql(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip


def written(engine: Engine, session_id: uuid.UUID) -> dict[str, Any]:
    """What intake left for a session, in terms comparable between two sessions."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.question_id, s.skill::text, s.status::text, s.attempt, d.answer, "
                "o.message_type, o.status::text AS outbox_status, "
                "o.payload ->> 'skill' AS skill_sent, "
                "(SELECT count(*) FROM submission_events e WHERE e.submission_id = s.id "
                " AND e.kind = 'submitted') AS events, "
                "s.deadline - s.created_at AS allowance "
                "FROM exam_submissions x JOIN submissions s ON s.id = x.submission_id "
                "JOIN submission_details d ON d.submission_id = s.id "
                "JOIN outbox o ON o.submission_id = s.id WHERE x.session_id = :id "
                "ORDER BY s.question_id"
            ),
            {"id": session_id},
        ).all()
        status = conn.execute(
            sa.text("SELECT status::text FROM exam_sessions WHERE id = :id"), {"id": session_id}
        ).scalar_one()
        blanks = conn.execute(
            sa.text("SELECT count(*) FROM exam_answers WHERE session_id = :id"), {"id": session_id}
        ).scalar_one()
    return {"status": status, "answers": blanks, "parts": [tuple(r)[1:] for r in rows]}


def refusal_of(done: subprocess.CompletedProcess[str]) -> tuple[str, ...]:
    """psql failed: the refusal's SQLSTATE, name and field it printed."""
    assert done.returncode != 0, done.stdout
    found = contract_refusal(done)
    return found["sqlstate"], found["refusal"], found["field"]


def session_status(engine: Engine, session_id: uuid.UUID) -> tuple[str, int]:
    """The session's status and its parts, as statement 3 of the old document read them."""
    found = written(engine, session_id)
    return found["status"], len(found["parts"])


def test_the_documented_sql_and_the_python_door_call_the_same_function() -> None:
    # the document and db/exam_intake.py both call grading_exam_intake_v1, by name
    assert "FROM grading_exam_intake_v1(" in contract_sql()
    assert "FROM grading_exam_intake_v1(" in EXAM_INTAKE
    assert "session_id => CAST(:'session_id' AS uuid)" in contract_sql()


def test_sql_and_python_write_the_same_rows_and_a_second_run_writes_nothing(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given two sessions of the same shape
    by_sql = make_exam(session_factory)
    by_python = make_exam(session_factory)
    # when one is submitted through the document's SQL and the other through db/exam_intake.py
    done = run_psql(db_url, by_sql.session_id)
    assert done.returncode == 0, done.stderr
    with session_factory.begin() as session:
        submit_exam(session, session_id=by_python.session_id)
    # then both wrote the same parts, with the same shape of rows
    sql_rows, python_rows = (
        written(engine, by_sql.session_id),
        written(engine, by_python.session_id),
    )
    assert sql_rows["status"] == python_rows["status"] == "submitted"
    assert sql_rows["answers"] == python_rows["answers"] == 12
    assert sorted(map(str, sql_rows["parts"])) == sorted(map(str, python_rows["parts"]))
    assert len(sql_rows["parts"]) == 12
    # and the call answers the 12 parts, every one created now
    assert session_status(engine, by_sql.session_id) == ("submitted", 12)
    parts = psql_tables(done.stdout)[-1]
    assert len(parts) == 12
    assert {part["created"] for part in parts} == {"t"}
    # when the SQL runs again: nothing new, the same parts answered as not created
    again = run_psql(db_url, by_sql.session_id)
    assert again.returncode == 0, again.stderr
    assert written(engine, by_sql.session_id) == sql_rows
    written_twice = psql_tables(again.stdout)[-1]
    assert [p["submission_id"] for p in written_twice] == [p["submission_id"] for p in parts]
    assert {part["created"] for part in written_twice} == {"f"}


def test_an_abandoned_session_is_left_alone_by_the_sql(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    fixture = make_exam(session_factory)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE exam_sessions SET status = 'abandoned' WHERE id = :id"),
            {"id": fixture.session_id},
        )
    done = run_psql(db_url, fixture.session_id)
    assert refusal_of(done) == ("VG004", "session_not_in_progress", "session")
    assert session_status(engine, fixture.session_id) == ("abandoned", 0)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM submissions")).scalar_one() == 0


def test_the_sql_writes_nothing_for_an_id_that_is_not_a_uuid_and_one_part_for_a_repeated_one(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    bad, repeated = make_exam(session_factory), make_exam(session_factory)
    with engine.begin() as conn:
        for fixture, change in ((bad, "nope"), (repeated, None)):
            exam_id = conn.execute(
                sa.text("SELECT exam_id FROM exam_sessions WHERE id = :id"),
                {"id": fixture.session_id},
            ).scalar_one()
            blueprint = conn.execute(
                sa.text("SELECT blueprint FROM exams WHERE id = :id"), {"id": exam_id}
            ).scalar_one()
            ids = blueprint["listening"]["questionIds"]
            ids.append(change or ids[0])
            conn.execute(
                sa.text("UPDATE exams SET blueprint = CAST(:b AS jsonb) WHERE id = :id"),
                {"b": json.dumps(blueprint), "id": exam_id},
            )
    refused = run_psql(db_url, bad.session_id)
    assert refusal_of(refused) == (
        "VG004",
        "blueprint_question_id",
        "blueprint.listening.questionIds[3]",
    )
    assert session_status(engine, bad.session_id) == ("in_progress", 0)
    done = run_psql(db_url, repeated.session_id)
    assert done.returncode == 0, done.stderr
    assert session_status(engine, repeated.session_id) == ("submitted", 12)
    assert len(psql_tables(done.stdout)[-1]) == 12
