"""`vstep-grading submission retry` and `submission list --stuck`: an operator's hand on
what the scheduler supervises.

``retry`` sends failed or stalled submissions through the pipeline again (see
``db/submission_retry.py``); ``--stuck`` lists what the stall duty would pick up next,
with the action it would take, asking the broker as the duty does.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import timedelta

import typer

from db.submission_retry import SubmissionRetryOutcome, submission_retry
from db.supervision import Stalled, submissions_stalled
from domain.errors import BrokerUnavailable
from domain.events import EventKind
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from domain.supervision import stall_action
from workers.assembly import broker_from, process_settings
from workers.broker_probe import probe_for
from workers.cli.arguments import (
    REASONS,
    RETRYABLE_STATUSES,
    SKILLS,
    parse_duration_option,
    parse_failure_reason,
    parse_retryable_status,
    parse_skill,
    parse_uuid,
)
from workers.cli.database import DatabaseUrl, Json, cli_transaction
from workers.cli.durations import HELP as DURATION_HELP
from workers.cli.durations import format_duration
from workers.cli.output import EXIT_FAILURE, EXIT_USAGE, console, fail, print_json, print_table
from workers.routes import ROUTES


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "operator"


def retry(
    ids: list[str] | None = typer.Argument(
        None, metavar="ID", help="Ids of submissions to retry.", show_default=False
    ),
    status: str | None = typer.Option(
        None, "--status", help=f"Retry every submission in this status ({RETRYABLE_STATUSES})."
    ),
    reason: str | None = typer.Option(
        None, "--reason", help=f"With --status failed: only this failureReason ({REASONS})."
    ),
    skill: str | None = typer.Option(None, "--skill", help=f"Only this skill ({SKILLS})."),
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        metavar="DURATION",
        help=f"Only submissions unchanged for longer than this ({DURATION_HELP}).",
    ),
    by: str = typer.Option(
        None, "--by", help="Who retries, kept on the event (default: your login name)."
    ),
    note: str | None = typer.Option(None, "--note", help="Why, kept on the event."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would happen; change nothing."
    ),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Send failed or stalled submissions through the pipeline again.

    A failed submission goes back to pending with a fresh deadline; a stalled one (queued,
    processing or retrying with no event for GRADING_STALL_SECONDS) is dispatched again.
    Each gets a new outbox row and an operator_retried event saying who and why.
    Exit code 0 when every named submission was retried, 1 when any was not.
    """
    if ids and status is not None:
        raise fail("give submission ids or --status, not both", EXIT_USAGE)
    if not ids and status is None:
        raise fail("give the ids of the submissions to retry, or --status", EXIT_USAGE)
    if ids and (reason or skill or older_than):
        raise fail("--reason, --skill and --older-than filter --status, not ids", EXIT_USAGE)
    wanted = [parse_uuid("ID", text, "a submission id") for text in ids] if ids else None
    wanted_status = parse_retryable_status(status) if status is not None else None
    wanted_reason = parse_failure_reason(reason) if reason is not None else None
    wanted_skill = parse_skill(skill) if skill is not None else None
    age = parse_duration_option("--older-than", older_than) if older_than else None
    settings = process_settings()
    with cli_transaction(database_url, command="submission") as session:
        outcome = submission_retry(
            session,
            ids=wanted,
            status=wanted_status,
            failure_reason=wanted_reason,
            skill=wanted_skill,
            older_than=age,
            stall_seconds=settings.grading_stall_seconds,
            by=by or _login(),
            note=note,
            sla=settings.sla(),
            dry_run=dry_run,
        )
        if dry_run:
            session.rollback()
    _report(outcome, dry_run=dry_run, as_json=as_json)


def _report(outcome: SubmissionRetryOutcome, *, dry_run: bool, as_json: bool) -> None:
    verb = "would retry" if dry_run else "retried"
    if as_json:
        print_json(
            {
                "dryRun": dry_run,
                "retried": [
                    {"id": r.id, "previousStatus": r.previous_status, "outboxId": r.outbox_id}
                    for r in outcome.retried
                ],
                "skipped": [{"id": s.id, "reason": s.reason} for s in outcome.skipped],
            }
        )
    else:
        for item in outcome.retried:
            where = f", outbox row {item.outbox_id}" if item.outbox_id else ""
            console.print(
                f"{item.id}: {verb} (was {item.previous_status.value}){where}", highlight=False
            )
        for skipped in outcome.skipped:
            console.print(f"{skipped.id}: not retried, {skipped.reason}", highlight=False)
        count = len(outcome.retried)
        console.print(f"{verb} {count} submission{'' if count == 1 else 's'}", highlight=False)
    if outcome.skipped:
        total = len(outcome.skipped) + len(outcome.retried)
        raise fail(f"{len(outcome.skipped)} of {total} named submissions not retried", EXIT_FAILURE)


def print_stuck(*, limit: int, as_json: bool, database_url: str | None) -> None:
    """What the stall duty would pick up now, and what it would do with each."""
    settings = process_settings()
    with cli_transaction(database_url, command="submission") as session:
        stalled = submissions_stalled(
            session, stall_seconds=settings.grading_stall_seconds, limit=limit, lock=False
        )
    held = _held_by_broker(stalled)
    rows = []
    for item in stalled:
        in_broker = None if held is None else str(item.last_message_id) in held
        action = (
            "unknown (broker unreachable)"
            if in_broker is None
            else stall_action(
                held_by_broker=in_broker,
                redispatch_count=item.redispatch_count,
                max_redispatch=settings.grading_max_redispatch,
                awaiting_grader=item.last_event_kind == EventKind.GRADER_REQUESTED,
            ).value
        )
        rows.append(
            {
                "id": item.id,
                "status": item.status,
                "quietSeconds": round(item.stalled_seconds),
                "redispatchCount": item.redispatch_count,
                "lastMessageId": item.last_message_id,
                "heldByBroker": in_broker,
                "action": action,
                "why": _why(item, in_broker, settings.grading_stall_seconds),
            }
        )
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("nothing is stuck")
        return
    print_table(
        f"stuck submissions ({len(rows)}): no event for {settings.grading_stall_seconds:g} s",
        ("id", "status", "quiet for", "redispatched", "action", "why"),
        [
            (
                str(row["id"]),
                item.status.value,
                format_duration_seconds(item.stalled_seconds),
                str(item.redispatch_count),
                str(row["action"]),
                str(row["why"]),
            )
            for row, item in zip(rows, stalled, strict=True)
        ],
    )


def _held_by_broker(stalled: Sequence[Stalled]) -> set[str] | None:
    """The message ids the broker still holds, or None when it cannot be asked."""
    settings = process_settings()
    broker = broker_from(settings)
    try:
        return probe_for(broker).waiting(
            ROUTES[MESSAGE_TYPE_GRADING_REQUEST].queue_name,
            [str(s.last_message_id) for s in stalled if s.last_message_id],
        )
    except BrokerUnavailable:
        return None
    finally:
        broker.close()


def _why(item: Stalled, in_broker: bool | None, stall_seconds: float) -> str:
    quiet = f"no event for {format_duration_seconds(item.stalled_seconds)}"
    if item.last_message_id is None:
        return f"{quiet}; no grading request was ever sent"
    if in_broker is None:
        return f"{quiet}; the broker could not be asked about {item.last_message_id}"
    if in_broker:
        return f"{quiet}; message {item.last_message_id} still waits in the broker"
    return f"{quiet}; the broker no longer holds message {item.last_message_id}"


def format_duration_seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=round(seconds)))
