"""`vstep-grading callback list`: the callbacks the inbox processed, and what each did."""

from __future__ import annotations

import typer

from db.callbacks import CallbackRecord, callbacks_list
from domain.messages import CallbackKind
from workers.cli.arguments import parse_duration_option, parse_uuid
from workers.cli.database import DatabaseUrl, Json, cli_transaction
from workers.cli.durations import HELP as DURATION_HELP
from workers.cli.output import EXIT_USAGE, console, fail, print_json, print_table

app = typer.Typer(help="Inbound grading callbacks (processed_callbacks).", no_args_is_help=True)
KINDS = ", ".join(kind.value for kind in CallbackKind)


def callback_rows(records: list[CallbackRecord]) -> list[dict[str, object]]:
    return [
        {
            "event_id": r.event_id,
            "submission_id": r.submission_id,
            "request_id": r.request_id,
            "kind": r.kind,
            "via": r.via,
            "processed_at": r.processed_at,
            "effects": r.effects,
        }
        for r in records
    ]


def print_callbacks(title: str, records: list[CallbackRecord]) -> None:
    print_table(
        title,
        ("processed_at", "event_id", "kind", "via", "submission_id", "effects"),
        [
            (
                r.processed_at.isoformat(timespec="milliseconds"),
                str(r.event_id),
                r.kind or "",
                r.via or "",
                str(r.submission_id),
                ", ".join(r.effects) or "(none)",
            )
            for r in records
        ],
    )


@app.command("list")
def list_callbacks(
    submission: str | None = typer.Option(None, "--submission", help="Only this submission's."),
    kind: str | None = typer.Option(None, "--kind", help=f"Only this kind ({KINDS})."),
    since: str | None = typer.Option(
        None, "--since", metavar="DURATION", help=f"Only the last DURATION ({DURATION_HELP})."
    ),
    limit: int = typer.Option(50, "--limit", help="At most this many."),
    as_json: bool = Json,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Processed callbacks, newest first, each with the events it wrote."""
    submission_id = (
        parse_uuid("--submission", submission, "a submission id") if submission else None
    )
    if kind is not None and kind not in {k.value for k in CallbackKind}:
        raise fail(f"--kind: {kind!r} is not a callback kind ({KINDS})", EXIT_USAGE)
    if limit < 1:
        raise fail(f"--limit: must be at least 1, not {limit}", EXIT_USAGE)
    window = parse_duration_option("--since", since) if since is not None else None
    with cli_transaction(database_url, command="callback") as session:
        records = callbacks_list(
            session, submission_id=submission_id, kind=kind, since=window, limit=limit
        )
    if as_json:
        print_json(callback_rows(records))
    elif not records:
        console.print("no callbacks match")
    else:
        print_callbacks(f"callbacks, newest first ({len(records)})", records)
