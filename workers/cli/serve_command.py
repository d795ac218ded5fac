"""`vstep-grading serve`: the HTTP server (signed callbacks, health, readiness, metrics).

Assembled from settings by ``workers/assembly.py`` and run by uvicorn, which stops
gracefully on SIGTERM or SIGINT: it stops accepting, lets requests in flight finish (at
most SHUTDOWN_GRACE_SECONDS), then returns and the engine and broker are closed.
"""

from __future__ import annotations

from functools import partial

import typer

from db.session import make_engine, make_session_factory
from workers.assembly import broker_from, callback_secret_of, http_app_from, process_settings
from workers.cli.process_commands import check_services, override, serve_until_signalled
from workers.http_socket import bound_then_checked
from workers.logging import configure_logging

# How long requests in flight may take to finish after SIGTERM, in seconds.
SHUTDOWN_GRACE_SECONDS = 20
# Database connections of the server: callbacks run in threads, at most this many at once
# hold one (the rest wait for the pool).
POOL_SIZE = 10


def serve(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (env HTTP_HOST)."),
    port: int | None = typer.Option(
        None, "--port", help="Port to listen on (env HTTP_PORT, 1..65535)."
    ),
) -> None:
    """Serve signed callbacks, /healthz, /readyz, /metrics and /openapi.json (env:
    CALLBACK_SECRET, HTTP_HOST, HTTP_PORT, PUBLIC_URL, DATABASE_URL, BROKER_URL,
    SPOT_CHECK_RATE, PROGRESS_THROTTLE_SECONDS, START_WAIT_SECONDS). Refuses to start
    without CALLBACK_SECRET, on an address in use, or while the database or broker is away."""
    settings = process_settings()
    if host is not None:
        settings = override(settings, "--host", "http_host", host)
    if port is not None:
        settings = override(settings, "--port", "http_port", port)
    callback_secret_of(settings)  # one line and exit 2 before anything starts
    configure_logging(settings.log_format, settings.log_level)
    # Bound first and handed to uvicorn: an address in use is one line (exit 1).
    sockets = bound_then_checked(
        settings.http_host,
        settings.http_port,
        port_setting="HTTP_PORT",
        check=lambda: check_services(settings),
    )
    engine = make_engine(
        settings.database_url, pool_size=POOL_SIZE, application_name="vstep-grading serve"
    )
    broker = broker_from(settings)

    def close() -> None:
        broker.close()
        engine.dispose()

    app = partial(http_app_from, settings, make_session_factory(engine), broker)
    address = (settings.http_host, settings.http_port)
    serve_until_signalled("serve", app, sockets, address, grace=SHUTDOWN_GRACE_SECONDS, close=close)
