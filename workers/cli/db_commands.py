"""`vstep-grading db upgrade|current|downgrade`."""

from __future__ import annotations

import sys

import typer

from db.models import Base
from db.urls import safe_url
from domain.errors import InvalidInput
from workers.cli.database import DatabaseUrl, database_url_of
from workers.cli.output import EXIT_FAILURE, console, fail

app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("head", metavar="REVISION", help="Target revision."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from db import migrate  # Alembic is slow to import; only db commands need it

    url = database_url_of(database_url)
    migrate.upgrade(url, revision)
    console.print(f"database {safe_url(url)} is at {migrate.current_revision(url)}")


@app.command()
def current(database_url: str | None = DatabaseUrl) -> None:
    """Print the database's current revision."""
    from db import migrate  # Alembic is slow to import; only db commands need it

    url = database_url_of(database_url)
    console.print(migrate.current_revision(url) or "base (not migrated)")


# Relative targets ("-1") look like options to click: let them through as the argument.
@app.command(context_settings={"ignore_unknown_options": True})
def downgrade(
    revision: str = typer.Argument(
        ..., metavar="REVISION", help="Target revision, e.g. -1 or base."
    ),
    database_url: str | None = DatabaseUrl,
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Do not ask first (required when stdin is not a terminal)."
    ),
) -> None:
    """Migrate the database down to REVISION, after asking (below 0001 it drops every
    shared table, other services' data included)."""
    from db import migrate  # Alembic is slow to import; only db commands need it

    url = database_url_of(database_url)
    undone = migrate.downgrade_steps(url, revision)
    if undone and not yes:
        what = _what_downgrade_does(safe_url(url), revision, undone)
        if not sys.stdin.isatty():
            raise InvalidInput("--yes", f"stdin is not a terminal; pass --yes to confirm: {what}")
        if not typer.confirm(f"{what}. Continue?", default=False):
            raise fail("downgrade cancelled; nothing changed", EXIT_FAILURE)
    migrate.downgrade(url, revision)
    console.print(f"database {safe_url(url)} is at {migrate.current_revision(url) or 'base'}")


def _what_downgrade_does(database: str, revision: str, undone: list[str]) -> str:
    from db import migrate

    said = f"downgrading {database} to {revision} undoes {', '.join(undone)}"
    if migrate.SHARED_SCHEMA_REVISION not in undone:
        return said
    tables = sorted(Base.metadata.tables)
    return (
        f"{said} and DROPS EVERY SHARED TABLE ({len(tables)}: {', '.join(tables)}) with all "
        "their rows, other services' data included"
    )
