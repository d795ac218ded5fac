"""Prometheus counters and histograms of what the processes did: published, graded, retried.

Each process counts in its own memory, which nothing outside it can read. With
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable) naming a directory
shared by the processes of one host, every process (each of a worker's processes too)
writes its counts to its own files there instead, and ``processes_registry()`` adds them
up: `serve`'s ``/metrics`` then shows the host's totals, whichever process counted. The
directory must be emptied before the processes start (``make run`` does), as the counts
of processes that exited stay in the totals until then. Without it, ``/metrics`` shows
only what `serve` itself counts, never another process's counter as a misleading zero.

A set variable that names no writable directory stops the process at import, in one
line: prometheus_client opens its files while the counters below are created.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir() -> Path | None:
    """The directory the processes of this host count in, or None (each counts alone)."""
    value = os.environ.get(MULTIPROC_DIR_ENV) or os.environ.get(MULTIPROC_DIR_ENV.lower())
    return Path(value) if value else None


def _check_multiproc_dir() -> None:
    directory = multiproc_dir()
    if directory is None:
        return
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        sys.exit(
            f"invalid configuration: {MULTIPROC_DIR_ENV}: {directory} is not a writable directory"
        )


_check_multiproc_dir()

OUTBOX_PUBLISHED = Counter(
    "vstep_outbox_published_total", "Outbox rows published to the broker and marked published."
)
OUTBOX_FAILED = Counter(
    "vstep_outbox_failed_total", "Outbox rows that became failed (poison or attempts spent)."
)
GRADING_RESULTS = Counter(
    "vstep_grading_results_total", "Grading outcomes by final status.", ["outcome"]
)
GRADING_RETRIES = Counter("vstep_grading_retries_total", "Transient grading errors retried.")
GRADING_LATENCY = Histogram(
    "vstep_grading_latency_seconds",
    "Time from submission to its final state.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1200, 3600),
)
CALLBACKS = Counter(
    "vstep_callbacks_total",
    "Grading callbacks by the answer they got and their kind.",
    ["status", "kind"],
)
HTTP_REFUSALS = Counter(
    "vstep_http_refusals_total",
    "HTTP requests answered with an error, by path and status (401, 413, 422, 503 ...).",
    ["path", "status"],
)

# What `serve` counts itself: all it shows when the processes do not share a directory.
COUNTED_BY_SERVE: tuple[Collector, ...] = (CALLBACKS, HTTP_REFUSALS)
# This process's own resources (CPU, memory, file descriptors, garbage collector).
PROCESS_RESOURCES: tuple[Collector, ...] = (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR)


class MetricsPortUnavailable(OSError):
    """METRICS_PORT could not be listened on (in use, or not ours to take)."""


def start_metrics_endpoint(host: str, port: int) -> threading.Thread:
    """Serve ``processes_registry()`` on ``host:port`` from a daemon thread (returned)."""
    try:
        _server, thread = start_http_server(
            port, addr=host, registry=processes_registry(own_resources=False)
        )
    except OSError as exc:
        raise MetricsPortUnavailable(
            f"METRICS_PORT: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    return thread


def serve_metrics_forever(host: str, port: int) -> None:
    """Serve ``processes_registry()`` on ``host:port`` until the process is stopped."""
    start_metrics_endpoint(host, port).join()


def processes_registry(*, own_resources: bool = True) -> CollectorRegistry:
    """The counters `serve` shows: every process's on this host, summed, when they share
    ``PROMETHEUS_MULTIPROC_DIR``; else its own. With ``own_resources``, this process's
    CPU, memory and garbage collector too (not for an endpoint that only serves others'
    counts)."""
    registry = CollectorRegistry(auto_describe=True)
    directory = multiproc_dir()
    if directory is not None:
        # prometheus_client leaves this constructor unannotated.
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        for metric in COUNTED_BY_SERVE:
            registry.register(metric)
    if own_resources:
        for collector in PROCESS_RESOURCES:
            registry.register(collector)
    return registry
