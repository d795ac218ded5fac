"""How the outbox commands print rows: the list table, one row, its submission's events."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from rich.console import Console
from rich.table import Table

from db.outbox_ops import OutboxRecord
from db.submissions import EventRecord
from workers.cli.output import console, print_json, print_table

# Characters of error_message a table cell shows; --json and `show` give all of it.
ERROR_CELL_CHARS = 60
# The narrowest the error cell of a table gets before the table outgrows the terminal.
ERROR_CELL_MIN_CHARS = 20

LIST_COLUMNS = (
    "id",
    "status",
    "message_type",
    "submission_id",
    "attempts",
    "created_at",
    "locked_by",
    "published_at",
    "error_message",
)
# Every column but the payload, which `show` prints as JSON of its own; in table order.
ALL_COLUMNS = tuple(field.name for field in fields(OutboxRecord) if field.name != "payload")


def columns(row: OutboxRecord, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _cell(text: str | None) -> str | None:
    if text is None:
        return None
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= ERROR_CELL_CHARS else flat[: ERROR_CELL_CHARS - 1] + "…"


def print_list(rows: Sequence[OutboxRecord], *, as_json: bool) -> None:
    if as_json:
        print_json([columns(row, LIST_COLUMNS) for row in rows])
        return
    if not rows:
        console.print("no outbox rows match")
        return
    _print_list_table(rows)


def _print_list_table(rows: Sequence[OutboxRecord]) -> None:
    """Only the error cell gives way in a narrow terminal. Every other column keeps the
    width of its longest value (operators copy ids into show and retry); a terminal too
    narrow even for that gets lines wider than itself, which it wraps, rather than lose
    characters."""
    cells = [
        [
            *(_text(value) for value in columns(row, LIST_COLUMNS[:-1]).values()),
            _text(_cell(row.error_message)),
        ]
        for row in rows
    ]
    table = Table(title=f"outbox rows, newest first ({len(rows)})", title_justify="left")
    widths = []
    for index, name in enumerate(LIST_COLUMNS):
        if name == "error_message":
            widths.append(ERROR_CELL_MIN_CHARS)
            table.add_column(name, overflow="ellipsis", min_width=ERROR_CELL_MIN_CHARS)
        else:
            widths.append(max(len(name), *(len(row[index]) for row in cells)))
            table.add_column(name, no_wrap=True, min_width=widths[-1])
    for row_cells in cells:
        table.add_row(*row_cells)
    # Each column has one space of padding either side and a border after it.
    narrowest = sum(widths) + 3 * len(widths) + 1
    if console.width >= narrowest:
        console.print(table)
    else:
        Console(width=narrowest, soft_wrap=True).print(table)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def print_row(row: OutboxRecord, events: Sequence[EventRecord], *, as_json: bool) -> None:
    """One row, its payload, and its submission's events."""
    event_items = [
        {"kind": event.kind, "occurred_at": event.occurred_at, "data": event.data}
        for event in events
    ]
    if as_json:
        print_json({"row": columns(row, (*ALL_COLUMNS, "payload")), "events": event_items})
        return
    print_table(
        f"outbox row {row.id}", ("column", "value"), list(columns(row, ALL_COLUMNS).items())
    )
    console.print("payload", style="bold")
    console.print_json(json.dumps(row.payload))
    print_table(
        f"events of submission {row.submission_id} (oldest first)",
        ("kind", "occurred_at", "data"),
        [
            (item["kind"], item["occurred_at"], json.dumps(item["data"]) if item["data"] else None)
            for item in event_items
        ],
    )
