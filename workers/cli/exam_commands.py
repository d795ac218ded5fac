"""`vstep-grading exam list|show|submit`: exam sessions and their parts (db/exam_*.py)."""

from __future__ import annotations

from typing import Any

import typer

from db.exam_completion import exam_parts
from db.exam_intake import submit_exam
from db.exam_sessions import ExamSessionRow, exam_session_get, exam_sessions_list
from domain.enums import ExamStatus, SubmissionStatus
from domain.exams import Part
from workers.assembly import process_settings
from workers.cli.arguments import EXAM_STATUSES, parse_exam_status, parse_uuid
from workers.cli.database import DatabaseUrl, Json, cli_transaction
from workers.cli.output import EXIT_USAGE, console, fail, print_json, print_records, print_table

app = typer.Typer(help="Exam sessions: list, show, submit.", no_args_is_help=True)
_S = SubmissionStatus


def waits_for(part: Part) -> str:
    """What a part that has no final score yet waits for."""
    if part.final:
        return ""
    if part.status is _S.REVIEW_PENDING:
        return "a reviewer"
    if part.status is _S.FAILED:
        return "an operator's retry (submission retry)"
    return "grading"


def _session_fields(row: ExamSessionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "exam_id": row.exam_id,
        "status": row.status,
        **{f"{name}_score": value for name, value in row.scores.items()},
        "started_at": row.started_at,
        "completed_at": row.completed_at,
    }


def _part_fields(part: Part) -> dict[str, Any]:
    return {
        "submission_id": part.submission_id,
        "question_id": part.question_id,
        "skill": part.skill,
        "format": part.format,
        "status": part.status,
        "score": part.score,
        "items_right": None if part.total is None else f"{part.correct}/{part.total}",
        "waits_for": waits_for(part),
    }


@app.command("list")
def list_sessions(
    status: str | None = typer.Option(None, "--status", help=f"Only this status: {EXAM_STATUSES}."),
    user: str | None = typer.Option(None, "--user", help="Only this learner's sessions (id)."),
    limit: int = typer.Option(50, "--limit", help="At most this many."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Exam sessions, the most recently started first."""
    wanted = parse_exam_status(status) if status is not None else None
    user_id = parse_uuid("--user", user, "a user id") if user is not None else None
    if limit < 1:
        raise fail(f"--limit: must be at least 1, not {limit}", EXIT_USAGE)
    with cli_transaction(database_url, command="exam") as session:
        rows = exam_sessions_list(session, status=wanted, user_id=user_id, limit=limit)
    if as_json:
        print_json([_session_fields(row) for row in rows])
    elif not rows:
        console.print("no exam sessions match")
    else:
        print_records(
            f"exam sessions, newest first ({len(rows)})", [_session_fields(row) for row in rows]
        )


@app.command()
def show(
    id: str = typer.Argument(..., metavar="SESSION", help="The exam session id."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """One session: its scores, its parts with their states and scores, what it waits for."""
    session_id = parse_uuid("SESSION", id, "an exam session id")
    with cli_transaction(database_url, command="exam") as session:
        row = exam_session_get(session, session_id=session_id)
        parts = exam_parts(session, session_id=session_id) if row is not None else []
    if row is None:
        raise fail(f"no exam session {session_id}", EXIT_USAGE)
    waiting = [part for part in parts if not part.final]
    summary = _summary(row, parts, waiting)
    if as_json:
        print_json(
            {
                **_session_fields(row),
                "parts": [_part_fields(part) for part in parts],
                "waits_for": summary,
            }
        )
        return
    print_table(
        f"exam session {session_id}", ("field", "value"), list(_session_fields(row).items())
    )
    if parts:
        print_records(f"parts ({len(parts)})", [_part_fields(part) for part in parts])
    console.print(f"waits for: {summary}" if summary else "waits for nothing")


def _summary(row: ExamSessionRow, parts: list[Part], waiting: list[Part]) -> str:
    if row.status is ExamStatus.IN_PROGRESS:
        return "the learner to submit it"
    if row.status is not ExamStatus.SUBMITTED:
        return ""
    if not waiting:
        return "nothing: every part is final"
    counts: dict[str, int] = {}
    for part in waiting:
        counts[waits_for(part)] = counts.get(waits_for(part), 0) + 1
    return "; ".join(f"{n} part(s) {what}" for what, n in counts.items())


@app.command()
def submit(
    id: str = typer.Argument(..., metavar="SESSION", help="The exam session id."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Submit an in_progress session for grading (what the platform's API does)."""
    session_id = parse_uuid("SESSION", id, "an exam session id")
    settings = process_settings()
    with cli_transaction(database_url, command="exam") as session:
        intake = submit_exam(
            session,
            session_id=session_id,
            sla=settings.sla(),
            answer_max_bytes=settings.answer_max_bytes,
        )
    if as_json:
        print_json(
            {
                "session_id": intake.session_id,
                "created": intake.created,
                "submission_ids": intake.submission_ids,
            }
        )
    elif intake.created:
        console.print(f"submitted {session_id}: {intake.created} parts to grade")
    else:
        console.print(
            f"{session_id} was submitted already: nothing new ({len(intake.submission_ids)} parts)"
        )
