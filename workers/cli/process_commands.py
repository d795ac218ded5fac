"""The long-running processes: `vstep-grading relay`, `worker` and `scheduler`.

Each is assembled from settings by ``workers/assembly.py``. A command-line option gets
the validation of the environment variable it overrides, as a usage error (exit 2).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import structlog
import typer
from pydantic import ValidationError
from starlette.types import ASGIApp

from db.session import make_engine, make_session_factory
from db.urls import libpq_url, parse_database_url
from domain.errors import InvalidInput
from workers.assembly import broker_from, process_settings, relay_from, scheduler_duties_from
from workers.duty_loop import DutyLoop
from workers.grading import WORKER_THREADS_ENV
from workers.http_socket import check_http_address, close_all, run_server
from workers.logging import configure_logging, hand_down_log_format
from workers.relay_loop import run_relay
from workers.routes import ROUTES
from workers.settings import Settings
from workers.start_check import wait_for_services


def _queue_names() -> list[str]:
    return sorted({route.queue_name for route in ROUTES.values()})


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so loops finish their batch and return."""
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def serve_until_signalled(
    name: str,
    build: Callable[[], ASGIApp],
    sockets: list[socket.socket],
    address: tuple[str, int],
    *,
    grace: float,
    close: Callable[[], None],
) -> None:
    """The server ``name`` (serve, console): the app ``build`` makes, on the ``sockets``
    bound to ``address``, until SIGTERM or SIGINT; then the sockets are closed and
    ``close`` runs, however it ended. Requests in flight get ``grace`` seconds.

    uvicorn handles SIGTERM/SIGINT itself, then raises the signal again for the handler it
    found: ours only notes it, so this returns and the process exits 0."""
    log = structlog.get_logger(f"vstep.{name}")
    host, port = address
    log.info(f"{name}_starting", host=host, port=port)
    try:
        app = build()
        stop_on_signals()
        run_server(app, sockets, host=host, port=port, grace=grace)
    finally:
        close_all(sockets)
        log.info(f"{name}_stopped")
        close()


def check_services(settings: Settings) -> None:
    """Every process's start: the database and the broker answer (START_WAIT_SECONDS), or
    one line says which did not and why (exit 1)."""
    wait_for_services(settings.database_url, settings.broker_url, settings.start_wait_seconds)


def override(settings: Settings, option: str, field: str, value: Any) -> Settings:
    """``settings`` with ``field`` set from ``option``, validated as its env var would be."""
    # Assignment validation runs the field's own checks (its type, bounds and validators),
    # whatever they are; a field with no constraint at all (HTTP_HOST) included.
    updated = settings.model_copy()
    try:
        Settings.__pydantic_validator__.validate_assignment(updated, field, value)
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"])
        raise InvalidInput(option, message.removeprefix("Value error, ")) from None
    return updated


def relay(
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="Rows claimed per pass (env OUTBOX_BATCH_SIZE, 1..10000)."
    ),
) -> None:
    """Move outbox rows to the broker (env: DATABASE_URL, BROKER_URL, OUTBOX_*,
    START_WAIT_SECONDS)."""
    settings = process_settings()
    if batch_size is not None:
        settings = override(settings, "--batch-size", "outbox_batch_size", batch_size)
    configure_logging(settings.log_format, settings.log_level)
    check_services(settings)
    url = parse_database_url(settings.database_url)
    engine = make_engine(url, application_name="vstep-grading relay")
    broker = broker_from(settings)
    stop = stop_on_signals()
    try:
        run_relay(
            relay_from(settings, make_session_factory(engine), broker),
            database_url=libpq_url(url),
            stop=stop,
        )
    finally:
        broker.close()
        engine.dispose()


def scheduler() -> None:
    """Supervise: SLA timeouts, stalled work sent again, outbox leases, retention
    (env: DATABASE_URL, BROKER_URL, GRADING_STALL_SECONDS, GRADING_MAX_REDISPATCH,
    OUTBOX_LEASE_SECONDS, OUTBOX_RETENTION_DAYS, CALLBACK_RETENTION_DAYS)."""
    settings = process_settings()
    configure_logging(settings.log_format, settings.log_level)
    check_services(settings)
    engine = make_engine(settings.database_url, application_name="vstep-grading scheduler")
    broker = broker_from(settings)
    stop = stop_on_signals()
    log = structlog.get_logger("vstep.scheduler")
    duties = scheduler_duties_from(settings, make_session_factory(engine), broker)
    log.info("scheduler_started", duties=[duty.name for duty in duties])
    try:
        DutyLoop(duties, stop, logger=log).run()
    finally:
        log.info("scheduler_stopped")
        broker.close()
        engine.dispose()


def worker(
    processes: int = typer.Option(2, "--processes", "-p", help="Worker processes (>= 1)."),
    threads: int = typer.Option(4, "--threads", "-t", help="Threads per process (>= 1)."),
    queues: list[str] | None = typer.Option(
        None, "--queues", "-Q", help=f"Queues to consume (default: all of {_queue_names()})."
    ),
) -> None:
    """Run the grading actors under Dramatiq (env: DATABASE_URL, BROKER_URL, GRADING_*,
    WORKER_*, START_WAIT_SECONDS). Starts only once the database and the broker answer."""
    import dramatiq.cli

    if processes < 1:
        raise InvalidInput("--processes", f"must be at least 1, got {processes}")
    if threads < 1:
        raise InvalidInput("--threads", f"must be at least 1, got {threads}")
    unknown = sorted(set(queues or ()) - set(_queue_names()))
    if unknown:
        raise InvalidInput(
            "--queues", f"unknown queue {', '.join(unknown)}; known: {', '.join(_queue_names())}"
        )
    settings = process_settings()  # fail here, in one line, rather than in every child process
    configure_logging(settings.log_format, settings.log_level)
    check_services(settings)
    # Dramatiq's worker processes write to a pipe to this one: they log as it does.
    hand_down_log_format(settings.log_format)
    # Our logging is in place: Dramatiq must not add its own handler (plain-text lines).
    args = [
        "workers.worker_main",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--skip-logging",
    ]
    if queues:
        args += ["--queues", *queues]
    os.environ[WORKER_THREADS_ENV] = str(threads)
    if settings.metrics_port is not None:
        # Dramatiq's endpoint process would die alone on a taken port, the worker running
        # on: one line and exit 1 before anything starts instead.
        check_http_address(settings.http_host, settings.metrics_port, port_setting="METRICS_PORT")
    raise typer.Exit(dramatiq.cli.main(dramatiq.cli.make_argument_parser().parse_args(args)))
