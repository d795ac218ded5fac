"""Prometheus metrics, one registry per process; `serve` exposes them over HTTP."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
