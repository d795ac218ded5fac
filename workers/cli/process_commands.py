"""The long-running processes: `vstep-grading relay` (and later worker, scheduler, serve)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from db.session import make_engine, make_session_factory
from db.urls import libpq_url, parse_database_url
from workers.broker import make_broker
from workers.logging import configure_logging
from workers.relay import Relay, RelaySettings
from workers.relay_loop import run_relay
from workers.settings import load_settings


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so loops finish their batch and return."""
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def relay(
    batch_size: int | None = typer.Option(
        None, "--batch-size", envvar="OUTBOX_BATCH_SIZE", help="Rows claimed per pass."
    ),
) -> None:
    """Move outbox rows to the broker (env: DATABASE_URL, BROKER_URL, OUTBOX_*)."""
    settings = load_settings()
    if batch_size is not None:
        settings = settings.model_copy(update={"outbox_batch_size": batch_size})
    configure_logging(settings.log_format, settings.log_level)
    url = parse_database_url(settings.database_url)
    engine = make_engine(url, application_name="vstep-grading relay")
    broker = make_broker(settings.broker_url, namespace=settings.broker_namespace)
    stop = stop_on_signals()
    try:
        run_relay(
            Relay(
                session_factory=make_session_factory(engine),
                broker=broker,
                settings=RelaySettings.from_settings(settings),
            ),
            database_url=libpq_url(url),
            stop=stop,
        )
    finally:
        broker.close()
        engine.dispose()


def worker(
    processes: int = typer.Option(2, "--processes", "-p", help="Worker processes."),
    threads: int = typer.Option(4, "--threads", "-t", help="Threads per process."),
    queues: list[str] | None = typer.Option(
        None, "--queues", "-Q", help="Queues to consume (default: all)."
    ),
) -> None:
    """Run the grading actors under Dramatiq (env: DATABASE_URL, BROKER_URL, GRADING_*)."""
    import dramatiq.cli

    load_settings()  # fail here, in one line, rather than in every child process
    args = ["workers.worker_main", "--processes", str(processes), "--threads", str(threads)]
    if queues:
        args += ["--queues", *queues]
    raise typer.Exit(dramatiq.cli.main(dramatiq.cli.make_argument_parser().parse_args(args)))
