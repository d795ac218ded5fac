"""Dramatiq middleware, one concern each: log context per message, Redis heartbeats, the
metrics endpoint."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

import dramatiq
import structlog
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from domain.errors import BrokerUnavailable
from workers.broker import broker_errors
from workers.duty_loop import Outage
from workers.metrics import MetricsPortUnavailable, serve_metrics_forever

log = structlog.get_logger("vstep.worker")


class LogContext(Middleware):  # type: ignore[misc]
    """Every log line written while a message is processed carries its ids."""

    def before_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message[Any]
    ) -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            message_id=message.message_id,
            outbox_id=message.options.get("outbox_id"),
            trace_id=message.options.get("trace_id"),
            actor=message.actor_name,
        )

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message[Any],
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        structlog.contextvars.clear_contextvars()

    after_skip_message = after_process_message


class RedisHeartbeat(Middleware):  # type: ignore[misc]
    """Keep this worker's Redis heartbeat fresh while its threads are busy.

    Dramatiq's Redis consumer beats only when it fetches or acks; a worker whose
    prefetch is full of long jobs would look dead and have its messages handed to
    another worker. A small thread beats on its own schedule instead.
    """

    def __init__(self, interval_seconds: float) -> None:
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not isinstance(broker, RedisBroker):
            return
        queues = sorted(broker.get_declared_queues()) or ["default"]
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat, args=(broker, queues[0]), name="redis-heartbeat", daemon=True
        )
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def _beat(self, broker: RedisBroker, queue_name: str) -> None:
        # An outage is reported once when it starts and once when it ends, not every beat.
        outage = Outage(log)
        while not self._stop.wait(self.interval_seconds):
            try:
                with broker_errors():
                    # Any dispatch refreshes the heartbeat; qsize reads and changes nothing.
                    broker.do_qsize(queue_name)
            except BrokerUnavailable as exc:  # the next beat retries
                outage.failed("redis_heartbeat", exc)
                continue
            outage.recovered("redis_heartbeat")


class MetricsEndpoint(Middleware):  # type: ignore[misc]
    """Serve the worker's metrics (METRICS_PORT) from one process beside its worker
    processes, which Dramatiq starts once they have booted: every worker process counts
    in PROMETHEUS_MULTIPROC_DIR, and the endpoint adds them up, so a worker of two
    processes never shows half its counts."""

    @property
    def forks(self) -> list[Any]:
        return [serve_worker_metrics]


def serve_worker_metrics() -> None:
    """The endpoint's process, started by Dramatiq's main process beside the workers.

    Dramatiq does not stop when such a process dies, so an endpoint that cannot listen
    says why in one line and stops the whole worker: a worker that runs without the
    endpoint it was told to serve would look fine while nothing can scrape it.

    Dramatiq starts it by name, with no arguments: it reads the process's settings from
    assembly, which builds this middleware (hence the import here, not at the top)."""
    from workers.assembly import process_settings

    settings = process_settings()
    if settings.metrics_port is None:
        return
    try:
        serve_metrics_forever(settings.http_host, settings.metrics_port)
    except MetricsPortUnavailable as exc:
        log.error("metrics_endpoint_failed", error=str(exc))
        os.kill(os.getppid(), signal.SIGTERM)
        sys.exit(1)
