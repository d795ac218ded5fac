"""What every database-reading command shares: its options and one transaction per command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from db.session import driver_error_line, make_engine, make_session_factory
from db.urls import parse_database_url, safe_url
from domain.errors import TransientError, VstepGradingError
from workers.settings import load_settings

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="DATABASE_URL",
    help="PostgreSQL URL (default: the settings' DATABASE_URL).",
    show_default=False,
)
Json = typer.Option(False, "--json", help="Print JSON for scripts instead of tables.")


@contextmanager
def cli_transaction(database_url: str | None, *, command: str) -> Iterator[Session]:
    """One transaction on the configured database; driver errors become one line."""
    url = parse_database_url(database_url or load_settings().database_url)
    engine = make_engine(url, pool_size=1, application_name=f"vstep-grading {command}")
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    except OperationalError as exc:
        raise TransientError(f"database {safe_url(url)}: {driver_error_line(exc)}") from exc
    except DBAPIError as exc:
        raise VstepGradingError(f"database {safe_url(url)}: {driver_error_line(exc)}") from exc
    finally:
        engine.dispose()
