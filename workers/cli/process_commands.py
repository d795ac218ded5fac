"""The long-running processes: `vstep-grading relay`, `worker` and `scheduler`.

Each is assembled from settings by ``workers/assembly.py``. A command-line option gets
the validation of the environment variable it overrides, as a usage error (exit 2).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import typer
from pydantic import ValidationError

from db.clock import database_ping
from db.session import make_engine, make_session_factory
from db.urls import libpq_url, parse_database_url, safe_url
from domain.errors import InfrastructureError, InvalidInput
from workers.assembly import broker_from, relay_from, scheduler_duties_from
from workers.broker import broker_ping
from workers.duty_loop import DutyLoop
from workers.grading import WORKER_THREADS_ENV
from workers.logging import configure_logging
from workers.relay_loop import run_relay
from workers.routes import ROUTES
from workers.settings import Settings, load_settings

# How often a starting worker asks again whether the database and broker answer.
START_CHECK_PAUSE_SECONDS = 1.0


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


def override(settings: Settings, option: str, field: str, value: Any) -> Settings:
    """``settings`` with ``field`` set from ``option``, validated as its env var would be."""
    # Assignment validation runs the field's own checks (its type, bounds and validators),
    # whatever they are; a field with no constraint at all (HTTP_HOST) included.
    updated = settings.model_copy()
    try:
        Settings.__pydantic_validator__.validate_assignment(updated, field, value)
    except ValidationError as exc:
        raise InvalidInput(option, exc.errors(include_url=False)[0]["msg"]) from None
    return updated


def relay(
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="Rows claimed per pass (env OUTBOX_BATCH_SIZE, 1..10000)."
    ),
) -> None:
    """Move outbox rows to the broker (env: DATABASE_URL, BROKER_URL, OUTBOX_*)."""
    settings = load_settings()
    if batch_size is not None:
        settings = override(settings, "--batch-size", "outbox_batch_size", batch_size)
    configure_logging(settings.log_format, settings.log_level)
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
    import structlog

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
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
    WORKER_*). Starts only once the database and the broker answer."""
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
    settings = load_settings()  # fail here, in one line, rather than in every child process
    configure_logging(settings.log_format, settings.log_level)
    wait_until_reachable(settings)
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
    raise typer.Exit(dramatiq.cli.main(dramatiq.cli.make_argument_parser().parse_args(args)))


def wait_until_reachable(settings: Settings) -> None:
    """Return once the database and the broker answer; InfrastructureError after the wait."""
    url = parse_database_url(settings.database_url)
    engine = make_engine(url, pool_size=1, application_name="vstep-grading worker check")
    factory = make_session_factory(engine)

    def database() -> None:
        with factory.begin() as session:
            database_ping(session)

    checks: list[tuple[str, Callable[[], None]]] = [
        (f"database {safe_url(url)}", database),
        (f"broker {safe_url(settings.broker_url)}", lambda: broker_ping(settings.broker_url)),
    ]
    give_up = time.monotonic() + settings.worker_start_wait_seconds
    try:
        for name, check in checks:
            while True:
                try:
                    check()
                    break
                except InfrastructureError as exc:
                    if time.monotonic() + START_CHECK_PAUSE_SECONDS > give_up:
                        raise type(exc)(
                            f"{name} did not answer within "
                            f"{settings.worker_start_wait_seconds:g} s: {exc}"
                        ) from exc
                    time.sleep(START_CHECK_PAUSE_SECONDS)
    finally:
        engine.dispose()
