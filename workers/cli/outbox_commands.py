"""`vstep-grading outbox list|show|retry|stats|purge`: operators' view of the outbox.

Every database action is a named query of ``db/outbox_ops.py``; this module parses,
calls, and prints. Work happens in one transaction per command, which commits before
anything is printed or any exit code is chosen.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import typer

from db.outbox_ops import (
    RetryOutcome,
    RetrySkipped,
    outbox_get,
    outbox_list,
    outbox_purge_published,
    outbox_retry,
    outbox_retry_failed_matching,
    outbox_stats,
)
from db.submissions import EventRecord, submission_events_recent
from domain.enums import OutboxStatus
from workers.cli.arguments import parse_duration_option
from workers.cli.database import DatabaseUrl, Json, cli_transaction
from workers.cli.durations import HELP as DURATION_HELP
from workers.cli.durations import format_duration
from workers.cli.outbox_display import print_list, print_row
from workers.cli.output import EXIT_FAILURE, EXIT_USAGE, console, fail, print_json, print_table
from workers.settings import load_settings

app = typer.Typer(help="Inspect and repair the transactional outbox.", no_args_is_help=True)

# Events of the row's submission that `show` prints, the newest ones.
SHOW_EVENTS = 20

STATUSES = ", ".join(status.value for status in OutboxStatus)


def _parse_status(text: str) -> OutboxStatus:
    try:
        return OutboxStatus(text)
    except ValueError:
        raise fail(f"--status: {text!r} is not an outbox status ({STATUSES})", EXIT_USAGE) from None


def _parse_ids(texts: Sequence[str]) -> list[uuid.UUID]:
    ids, bad = [], []
    for text in texts:
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            bad.append(repr(text))
    if bad:
        raise fail(f"not an outbox id (a UUID): {', '.join(bad)}", EXIT_USAGE)
    return ids


@app.command("list")
def list_rows(
    status: str | None = typer.Option(
        None, "--status", help=f"Only rows in this status: {STATUSES}."
    ),
    message_type: str | None = typer.Option(
        None, "--message-type", help="Only rows of this message type, e.g. grading.request."
    ),
    limit: int = typer.Option(50, "--limit", help="At most this many rows."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """List outbox rows, newest first."""
    wanted = _parse_status(status) if status is not None else None
    if limit < 1:
        raise fail(f"--limit: must be at least 1, not {limit}", EXIT_USAGE)
    with cli_transaction(database_url, command="outbox") as session:
        rows = outbox_list(session, status=wanted, message_type=message_type, limit=limit)
    print_list(rows, as_json=as_json)


@app.command()
def show(
    id: str = typer.Argument(..., metavar="ID", help="The outbox row id."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Show one outbox row, its payload, and its submission's recent events."""
    (row_id,) = _parse_ids([id])
    with cli_transaction(database_url, command="outbox") as session:
        row = outbox_get(session, id=row_id)
        events: list[EventRecord] = []
        if row is not None:
            events = submission_events_recent(
                session, submission_id=row.submission_id, limit=SHOW_EVENTS
            )
    if row is None:
        raise fail(f"no outbox row {row_id}", EXIT_USAGE)
    print_row(row, events, as_json=as_json)


@app.command()
def retry(
    ids: list[str] | None = typer.Argument(
        None, metavar="ID", help="Ids of failed outbox rows to retry.", show_default=False
    ),
    all_failed: bool = typer.Option(
        False, "--all-failed", help="Retry every failed row (narrow with the filters below)."
    ),
    message_type: str | None = typer.Option(
        None, "--message-type", help="With --all-failed: only rows of this message type."
    ),
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        metavar="DURATION",
        help=f"With --all-failed: only rows created longer ago than this ({DURATION_HELP}).",
    ),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Put failed rows back to pending: attempts 0, error cleared, an outbox_retried event.

    Exit code 0 when every named row was retried, 1 when any was not (each is reported).
    """
    if ids and all_failed:
        raise fail("give outbox ids or --all-failed, not both", EXIT_USAGE)
    if not ids and not all_failed:
        raise fail("give the ids of the outbox rows to retry, or --all-failed", EXIT_USAGE)
    if ids and (message_type is not None or older_than is not None):
        raise fail("--message-type and --older-than filter --all-failed, not ids", EXIT_USAGE)
    if ids:
        row_ids = _parse_ids(ids)
        with cli_transaction(database_url, command="outbox") as session:
            outcome = outbox_retry(session, ids=row_ids, sla=load_settings().sla())
    else:
        age = parse_duration_option("--older-than", older_than) if older_than is not None else None
        with cli_transaction(database_url, command="outbox") as session:
            retried = outbox_retry_failed_matching(
                session, message_type=message_type, older_than=age, sla=load_settings().sla()
            )
        outcome = RetryOutcome(retried=retried, skipped=[])
    _report_retry(outcome, as_json=as_json)


def _report_retry(outcome: RetryOutcome, *, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "retried": outcome.retried,
                "skipped": [{"id": s.id, "reason": s.reason} for s in outcome.skipped],
            }
        )
    else:
        for skipped in outcome.skipped:
            console.print(f"{skipped.id}: not retried, {skipped.reason}", highlight=False)
        console.print(f"retried {_rows(len(outcome.retried))}", highlight=False)
    if outcome.skipped:
        raise fail(_not_retried(outcome.skipped, len(outcome.retried)), EXIT_FAILURE)


def _not_retried(skipped: Sequence[RetrySkipped], retried: int) -> str:
    return f"{len(skipped)} of {len(skipped) + retried} named outbox rows not retried"


def _rows(count: int) -> str:
    return f"{count} outbox row{'' if count == 1 else 's'}"


@app.command()
def stats(as_json: bool = Json, database_url: str | None = DatabaseUrl) -> None:
    """Counts by status, age of the oldest pending row, failed and published in the last hour.

    "Failed in the last hour" counts failed rows whose last try (locked_at, or created_at
    for a row never claimed) is within the hour.
    """
    with cli_transaction(database_url, command="outbox") as session:
        found = outbox_stats(session)
    age = found.oldest_pending_age_seconds
    if as_json:
        print_json(
            {
                "counts": {status.value: count for status, count in found.counts.items()},
                "oldest_pending_age_seconds": None if age is None else round(age, 3),
                "failed_last_hour": found.failed_last_hour,
                "published_last_hour": found.published_last_hour,
            }
        )
        return
    print_table("outbox rows by status", ("status", "rows"), list(found.counts.items()))
    oldest = (
        "none pending"
        if age is None
        else f"{age:.0f} s ({format_duration(timedelta(seconds=age))})"
    )
    print_table(
        "outbox health",
        ("measure", "value"),
        [
            ("oldest pending row age", oldest),
            ("failed in the last hour", found.failed_last_hour),
            ("published in the last hour", found.published_last_hour),
        ],
    )


@app.command()
def purge(
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        metavar="DURATION",
        help=f"Required. Delete published rows published longer ago than this ({DURATION_HELP}).",
        show_default=False,
    ),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Delete published rows older than a retention period; other statuses are never touched."""
    if older_than is None:
        raise fail("purge needs --older-than DURATION, e.g. --older-than 7d", EXIT_USAGE)
    retention = parse_duration_option("--older-than", older_than)
    with cli_transaction(database_url, command="outbox") as session:
        deleted = outbox_purge_published(session, older_than=retention)
    if as_json:
        print_json({"deleted": deleted})
    else:
        console.print(
            f"deleted {_rows(deleted)} published more than {format_duration(retention)} ago",
            highlight=False,
        )
