"""`vstep-grading submission list|show|retry`: operators' view of submissions and their timelines.

Every database action is a named query of ``db/submission_queries.py``; this module
parses, calls, and prints. Each command reads in one transaction, closed before anything
is printed or any exit code is chosen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import typer

from db.submission_queries import SubmissionRow, submission_get, submission_list
from db.submissions import EventRecord
from workers.cli import supervision_commands
from workers.cli.arguments import SKILLS, STATUSES, parse_skill, parse_status, parse_uuid
from workers.cli.callback_commands import callback_rows, print_callbacks
from workers.cli.database import DatabaseUrl, Json, SubmissionId, cli_transaction
from workers.cli.output import EXIT_USAGE, console, fail, print_json, print_table

app = typer.Typer(help="Inspect submissions and their event timelines.", no_args_is_help=True)

LIST_COLUMNS = (
    "id",
    "user_id",
    "skill",
    "status",
    "score",
    "band",
    "attempt",
    "created_at",
    "completed_at",
)
SHOW_COLUMNS = (
    "id",
    "user_id",
    "question_id",
    "skill",
    "status",
    "score",
    "band",
    "confidence",
    "attempt",
    "request_id",
    "grading_mode",
    "review_priority",
    "audit_flag",
    "is_late",
    "deadline",
    "created_at",
    "completed_at",
    "deleted_at",
)
TIMELINE_COLUMNS = ("occurred_at", "kind", "since previous", "since submitted", "data")

# One microsecond, the resolution of timestamptz; durations are counted in it.
MICROSECOND = timedelta(microseconds=1)


def format_elapsed(delta: timedelta) -> str:
    """A signed step of a timeline: "+0.012s" under a minute, then "+3m05s", "+2h00m07s",
    "+1d04h10m". Seconds are cut, not rounded, past a minute: a clock never shows 3m06s
    before three minutes and six seconds have passed."""
    sign = "-" if delta < timedelta(0) else "+"
    micros = abs(delta) // MICROSECOND
    millis = (micros + 500) // 1_000
    if millis < 60_000:
        return f"{sign}{millis // 1_000}.{millis % 1_000:03d}s"
    minutes, seconds = divmod(micros // 1_000_000, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{sign}{days}d{hours:02d}h{minutes:02d}m"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m{seconds:02d}s"
    return f"{sign}{minutes}m{seconds:02d}s"


def _when(value: datetime, *, millis: bool = False) -> str:
    utc = value.astimezone(UTC)
    if millis:
        return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1_000:03d}Z"
    return utc.strftime("%Y-%m-%d %H:%M:%SZ")


def _text(value: Any, *, millis: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _when(value, millis=millis)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _columns(submission: SubmissionRow, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(submission, name) for name in names}


@app.command("list")
def list_submissions(
    status: str | None = typer.Option(
        None, "--status", help=f"Only submissions in this status: {STATUSES}."
    ),
    user: str | None = typer.Option(None, "--user", help="Only this user's submissions (id)."),
    skill: str | None = typer.Option(None, "--skill", help=f"Only this skill: {SKILLS}."),
    limit: int = typer.Option(50, "--limit", help="At most this many submissions."),
    include_deleted: bool = typer.Option(
        False, "--include-deleted", help="Include soft-deleted submissions."
    ),
    stuck: bool = typer.Option(
        False,
        "--stuck",
        help="Instead: what the scheduler's stall duty would pick up now, and why.",
    ),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """List submissions, newest first (or, with --stuck, the stalled ones)."""
    if stuck:
        if status or user or skill or include_deleted:
            raise fail("--stuck takes no other filter but --limit", EXIT_USAGE)
        supervision_commands.print_stuck(limit=limit, as_json=as_json, database_url=database_url)
        return
    wanted_status = parse_status(status) if status is not None else None
    user_id = parse_uuid("--user", user, "a user id") if user is not None else None
    wanted_skill = parse_skill(skill) if skill is not None else None
    if limit < 1:
        raise fail(f"--limit: must be at least 1, not {limit}", EXIT_USAGE)
    with cli_transaction(database_url, command="submission") as session:
        found = submission_list(
            session,
            status=wanted_status,
            user_id=user_id,
            skill=wanted_skill,
            include_deleted=include_deleted,
            limit=limit,
        )
    # deleted_at says which rows --include-deleted let in; without it every row is live.
    names = (*LIST_COLUMNS, "deleted_at") if include_deleted else LIST_COLUMNS
    if as_json:
        print_json([_columns(submission, (*LIST_COLUMNS, "deleted_at")) for submission in found])
        return
    if not found:
        console.print("no submissions match")
        return
    print_table(
        f"submissions, newest first ({len(found)})",
        names,
        [[_text(value) for value in _columns(s, names).values()] for s in found],
    )


app.command("retry")(supervision_commands.retry)


@app.command()
def show(
    id: str = SubmissionId,
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Show one submission, its grading result, and its event timeline, oldest first."""
    submission_id = parse_uuid("ID", id, "a submission id")
    with cli_transaction(database_url, command="submission") as session:
        record = submission_get(session, id=submission_id)
    if record is None:
        raise fail(f"no submission {submission_id}", EXIT_USAGE)
    submission = record.submission
    steps = _timeline(submission, record.events)
    if as_json:
        print_json(
            {
                "submission": _columns(submission, SHOW_COLUMNS),
                "result": record.result,
                "events": [
                    {
                        "event_id": event.event_id,
                        "occurred_at": event.occurred_at,
                        "kind": event.kind,
                        "since_previous_seconds": _seconds(since_previous),
                        "since_submitted_seconds": _seconds(since_submitted),
                        "data": event.data,
                    }
                    for event, since_previous, since_submitted in steps
                ],
                "callbacks": callback_rows(record.callbacks),
            }
        )
        return
    print_table(
        f"submission {submission.id}",
        ("field", "value"),
        [
            (name, _text(value, millis=True))
            for name, value in _columns(submission, SHOW_COLUMNS).items()
        ],
    )
    if record.result is None:
        console.print("result: none yet", style="bold")
    else:
        console.print("result", style="bold")
        console.print_json(json.dumps(record.result))
    if not steps:
        console.print("no events")
        return
    print_table(
        f"timeline, oldest first ({len(steps)} events)",
        TIMELINE_COLUMNS,
        [
            [
                _when(event.occurred_at, millis=True),
                event.kind,
                "" if since_previous is None else format_elapsed(since_previous),
                format_elapsed(since_submitted),
                ""
                if event.data is None
                else json.dumps(event.data, separators=(",", ":"), ensure_ascii=False),
            ]
            for event, since_previous, since_submitted in steps
        ],
    )
    if record.callbacks:
        print_callbacks(f"callbacks ({len(record.callbacks)})", record.callbacks)


def _timeline(
    submission: SubmissionRow, events: Sequence[EventRecord]
) -> list[tuple[EventRecord, timedelta | None, timedelta]]:
    """Each event with the time since the one before it (None for the first) and since
    the submission was created."""
    steps: list[tuple[EventRecord, timedelta | None, timedelta]] = []
    previous: datetime | None = None
    for event in events:
        since_previous = None if previous is None else event.occurred_at - previous
        steps.append((event, since_previous, event.occurred_at - submission.created_at))
        previous = event.occurred_at
    return steps


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta / timedelta(seconds=1)
