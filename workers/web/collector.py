"""The system's state, read from the database when Prometheus scrapes ``/metrics``.

Every process records where work stands in the database (rows, statuses), so this
collector reports what is waiting now, whatever number of relays, workers and schedulers
run, and wherever: the outbox backlog and its oldest row, live submissions by status, the
review backlog, the callback inbox. What the processes did (rows published, gradings by
outcome, retries, grading latency) they count themselves, in ``workers/metrics.py``.

A scrape reads indexes only, at most ``EXACT_COUNT_LIMIT`` entries per count, and
concurrent or back-to-back scrapes within ``CACHE_SECONDS`` share one read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from db.metrics_queries import (
    EXACT_COUNT_LIMIT,
    SCATTERED_COUNT_LIMIT,
    metrics_bound_statements,
    outbox_backlog,
    processed_callback_count,
    review_backlog_by_priority,
    submission_counts_by_status,
)
from domain.errors import TransientError

log = structlog.get_logger("vstep.metrics")

# A read this recent answers a scrape again: two Prometheus servers, or a dashboard
# refreshing, must not multiply the database's work.
CACHE_SECONDS = 1.0
ESTIMATED = (
    f"Exact up to {EXACT_COUNT_LIMIT:,} ({SCATTERED_COUNT_LIMIT:,} for completed and failed); "
    "above, PostgreSQL's estimate (pg_class.reltuples and column statistics)."
)


class DatabaseCollector(Collector):
    def __init__(
        self, session_factory: sessionmaker[Session], *, cache_seconds: float = CACHE_SECONDS
    ) -> None:
        self.session_factory = session_factory
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._last: tuple[float, _Families] | None = None

    def describe(self) -> list[Metric]:
        # Names only: registering the collector must not query the database.
        return [_database_up(), *_Families().all()]

    def collect(self) -> Iterator[Metric]:
        up = _database_up()
        try:
            families = self._cached_read()
        except TransientError as exc:
            log.warning("metrics_database_unavailable", error=str(exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families.all()

    def _cached_read(self) -> _Families:
        # One read at a time; whoever waited takes the fresh result.
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < self.cache_seconds:
                return self._last[1]
            families = self._read()
            self._last = (time.monotonic(), families)
            return families

    def _read(self) -> _Families:
        with self.session_factory.begin() as session:
            metrics_bound_statements(session)
            outbox = outbox_backlog(session)
            by_status = submission_counts_by_status(session)
            by_priority = review_backlog_by_priority(session)
            callbacks = processed_callback_count(session)
        f = _Families()
        for status, n in outbox.counts.items():
            f.outbox_rows.add_metric([status.value], n)
        # No pending row: nothing is waiting, so the oldest wait is zero.
        f.outbox_oldest_pending.add_metric([], outbox.oldest_pending_age_seconds or 0.0)
        for submission_status, n in by_status.items():
            f.submissions.add_metric([submission_status.value], n)
        for priority, n in by_priority.items():
            if priority is not None or n:
                f.review_backlog.add_metric([priority.value if priority else "none"], n)
        f.callbacks.add_metric([], callbacks)
        return f


def _database_up() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "vstep_database_up", "1 when this scrape read the database, else 0 (see the log)."
    )


@dataclass
class _Families:
    outbox_rows: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_outbox_rows",
            "Outbox rows by status (the relay's backlog). Pending and processing exact up to "
            f"{EXACT_COUNT_LIMIT:,}; published and failed exact while the outbox holds at "
            "most that many rows, else PostgreSQL's estimate (alert on the relay's "
            "vstep_outbox_failed_total instead).",
            labels=["status"],
        )
    )
    outbox_oldest_pending: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox row (0 when none is pending).",
        )
    )
    submissions: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_submissions", f"Live submissions by status. {ESTIMATED}", labels=["status"]
        )
    )
    review_backlog: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_review_backlog",
            "Submissions waiting for a human review, by review priority. Exact up to "
            f"{SCATTERED_COUNT_LIMIT:,} waiting; above, the {SCATTERED_COUNT_LIMIT:,} at the "
            "front of the queue (lowest confidence); vstep_submissions has the total.",
            labels=["priority"],
        )
    )
    callbacks: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_processed_callbacks",
            "Callbacks in the dedup inbox (kept CALLBACK_RETENTION_DAYS). Exact up to "
            f"{EXACT_COUNT_LIMIT:,}; above, PostgreSQL's estimate (pg_class.reltuples).",
        )
    )

    def all(self) -> list[Metric]:
        return [
            self.outbox_rows,
            self.outbox_oldest_pending,
            self.submissions,
            self.review_backlog,
            self.callbacks,
        ]
