"""`vstep-grading console`: the web console for reviewers and operators.

A process of its own (a Procfile line), on CONSOLE_HOST:CONSOLE_PORT. Every query it
runs has a statement timeout (CONSOLE_STATEMENT_TIMEOUT_MS), set on its connections.
uvicorn stops it gracefully on SIGTERM or SIGINT.
"""

from __future__ import annotations

import secrets
from functools import partial

import structlog
import typer
from sqlalchemy.engine import URL

from db.session import make_engine, make_session_factory
from db.urls import parse_database_url
from workers.assembly import console_app_from, process_settings
from workers.cli.process_commands import override, serve_until_signalled
from workers.http_socket import bound_then_checked
from workers.logging import configure_logging
from workers.settings import Settings
from workers.start_check import wait_for_services

# How long requests in flight may take to finish after SIGTERM, in seconds.
SHUTDOWN_GRACE_SECONDS = 10
# Database connections of the console: pages run in threads, at most this many at once.
POOL_SIZE = 8


def console_database_url(settings: Settings) -> URL:
    """DATABASE_URL with the console's statement timeout on every connection."""
    url = parse_database_url(settings.database_url)
    timeout = f"-c statement_timeout={settings.console_statement_timeout_ms}"
    return url.update_query_dict({"options": timeout})


def console_key(settings: Settings) -> tuple[bytes, bool]:
    """The cookie-signing key, and whether it was made up for this process."""
    if settings.console_secret and settings.console_secret.get_secret_value():
        return settings.console_secret.get_secret_value().encode(), False
    return secrets.token_bytes(32), True


def console(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (env CONSOLE_HOST)."
    ),
    port: int | None = typer.Option(
        None, "--port", help="Port to listen on (env CONSOLE_PORT, 1..65535)."
    ),
) -> None:
    """Serve the web console: the review workspace and operators' pages (env: CONSOLE_HOST,
    CONSOLE_PORT, CONSOLE_SESSION_MINUTES, CONSOLE_SECRET, CONSOLE_STATEMENT_TIMEOUT_MS,
    REVIEW_CLAIM_MINUTES, DATABASE_URL)."""
    settings = process_settings()
    if host is not None:
        settings = override(settings, "--host", "console_host", host)
    if port is not None:
        settings = override(settings, "--port", "console_port", port)
    configure_logging(settings.log_format, settings.log_level)
    # As serve: bound first, so an address in use is one line (exit 1); then the
    # database must answer within START_WAIT_SECONDS.
    sockets = bound_then_checked(
        settings.console_host,
        settings.console_port,
        port_setting="CONSOLE_PORT",
        check=lambda: wait_for_services(settings.database_url, None, settings.start_wait_seconds),
    )
    log = structlog.get_logger("vstep.console")
    key, made_up = console_key(settings)
    if made_up:
        log.warning("console_secret_unset", effect="sessions end when the console restarts")
    engine = make_engine(
        console_database_url(settings),
        pool_size=POOL_SIZE,
        application_name="vstep-grading console",
    )
    app = partial(console_app_from, settings, make_session_factory(engine), key)
    address = (settings.console_host, settings.console_port)
    serve_until_signalled(
        "console", app, sockets, address, grace=SHUTDOWN_GRACE_SECONDS, close=engine.dispose
    )
