"""What every database-reading command shares: its options and one transaction per command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from db.session import make_engine, make_session_factory
from db.urls import parse_database_url, safe_url
from domain.errors import DatabaseError, DatabaseUnavailable, InvalidInput
from workers.assembly import process_settings


def _checked_url(ctx: typer.Context, value: str | None) -> str | None:
    """A URL that cannot be one is a usage error before anything runs, naming what the
    person set: the option, or the environment variable."""
    if value is not None:
        try:
            parse_database_url(value)
        except InvalidInput as exc:
            # Typer ships its own click: the source is compared by name, not by class.
            source = ctx.get_parameter_source("database_url")
            typed = getattr(source, "name", None) == "COMMANDLINE"
            raise InvalidInput("--database-url" if typed else "DATABASE_URL", exc.reason) from None
    return value


DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="DATABASE_URL",
    help="PostgreSQL URL (default: the settings' DATABASE_URL).",
    show_default=False,
    callback=_checked_url,
)
Json = typer.Option(False, "--json", help="Print JSON for scripts instead of tables.")
# The ID argument of the commands that act on one submission.
SubmissionId = typer.Argument(..., metavar="ID", help="The submission id.")


def database_url_of(database_url: str | None) -> URL:
    """The database a command works on: --database-url, else the settings' DATABASE_URL."""
    return parse_database_url(database_url or process_settings().database_url)


@contextmanager
def cli_session_factory(
    database_url: str | None, *, command: str
) -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database; database errors name the (masked) URL."""
    url = database_url_of(database_url)
    engine = make_engine(url, pool_size=1, application_name=f"vstep-grading {command}")
    try:
        yield make_session_factory(engine)
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(f"database {safe_url(url)}: {exc}") from exc
    except DatabaseError as exc:
        raise DatabaseError(f"database {safe_url(url)}: {exc}", sqlstate=exc.sqlstate) from exc
    finally:
        engine.dispose()


@contextmanager
def cli_transaction(database_url: str | None, *, command: str) -> Iterator[Session]:
    """One transaction on the configured database; database errors name the (masked) URL."""
    with cli_session_factory(database_url, command=command) as factory, factory.begin() as session:
        yield session
