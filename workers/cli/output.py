"""How the CLI talks: Rich tables in a terminal, JSON for scripts, one line per error."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_FAILURE = 1
EXIT_USAGE = 2


def _jsonable(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value) if isinstance(value, UUID) else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    # Plain print: Rich would wrap long lines and break the JSON for scripts.
    print(json.dumps(data, default=_jsonable, indent=2))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table whose cells are never cut or folded: operators copy ids from it, and an
    event's data stays one line. A terminal narrower than the table wraps its lines
    rather than lose characters. Cells are Text, so brackets in data are not markup."""
    cells = [["" if cell is None else str(_display(cell)) for cell in row] for row in rows]
    table = Table(title=title, title_justify="left")
    widths = []
    for index, name in enumerate(columns):
        widths.append(max(len(name), *(len(row[index]) for row in cells)))
        table.add_column(name, no_wrap=True, min_width=widths[-1])
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))
    # Each column has one space of padding either side and a border after it.
    narrowest = sum(widths) + 3 * len(widths) + 1
    if console.width >= narrowest:
        console.print(table)
    else:
        Console(width=narrowest, soft_wrap=True).print(table)


def print_records(title: str, records: Sequence[Mapping[str, Any]]) -> None:
    """A table of records that share their keys: the keys are the columns."""
    print_table(title, list(records[0]) if records else [], [list(r.values()) for r in records])


def _display(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.isoformat(timespec="seconds")
    if isinstance(cell, Enum):
        return cell.value
    return cell


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print one error line; the caller raises what this returns."""
    # Escaped: a message may hold brackets ("vstep-grading[embedded]", a list) that Rich
    # would otherwise take for markup and drop.
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
