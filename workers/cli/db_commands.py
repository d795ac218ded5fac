"""`vstep-grading db upgrade|current|downgrade`."""

from __future__ import annotations

import typer

from db import migrate
from db.urls import parse_database_url, safe_url
from workers.cli.output import console
from workers.settings import DEFAULT_DATABASE_URL

app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)

DatabaseUrl = typer.Option(
    DEFAULT_DATABASE_URL, "--database-url", envvar="DATABASE_URL", help="PostgreSQL URL."
)


@app.command()
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    database_url: str = DatabaseUrl,
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    url = parse_database_url(database_url)
    migrate.upgrade(url, revision)
    console.print(f"database {safe_url(url)} is at {migrate.current_revision(url)}")


@app.command()
def current(database_url: str = DatabaseUrl) -> None:
    """Print the database's current revision."""
    url = parse_database_url(database_url)
    console.print(migrate.current_revision(url) or "base (not migrated)")


@app.command()
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. -1 or base."),
    database_url: str = DatabaseUrl,
) -> None:
    """Migrate the database down to REVISION."""
    url = parse_database_url(database_url)
    migrate.downgrade(url, revision)
    console.print(f"database {safe_url(url)} is at {migrate.current_revision(url) or 'base'}")
