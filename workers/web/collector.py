"""The system's metrics, read from the database when Prometheus scrapes ``/metrics``.

Every process records its outcomes in the database anyway (rows, statuses, events), so
this collector reports those: whatever number of relays, workers and schedulers run,
and wherever, a single scrape sees all of them, and nothing is lost when one restarts.
Gauges are current counts; the event counters are counts of an append-only log (they
drop only when a submission is deleted, which Prometheus reads as a counter reset).

Grading latency is a true cumulative histogram over every completed submission, per
skill, so ``histogram_quantile(0.99, rate(vstep_completion_latency_seconds_bucket[5m]))``
gives the recent p99; an operator's retry clears a submission's ``completed_at``, which
also reads as a reset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import structlog
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from db.metrics_queries import (
    completion_latency_histograms,
    metrics_bound_statements,
    processed_callback_count,
    review_backlog_by_priority,
    submission_counts_by_status,
    submission_event_counts,
)
from db.outbox_ops import outbox_stats
from domain.errors import TransientError

log = structlog.get_logger("vstep.metrics")

# Upper bounds of the completion latency buckets, in seconds: objective grading takes
# seconds, an AI grader minutes, a human review hours.
LATENCY_BOUNDS_SECONDS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 4 * 3600, 24 * 3600)
# Outcomes and retries, as the event log records them (pipeline.md "Event kinds").
COUNTED_EVENT_KINDS = (
    "completed",
    "failed",
    "retrying",
    "review_requested",
    "late_result",
    "stale_result",
    "redispatched",
)


class DatabaseCollector(Collector):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def describe(self) -> list[Metric]:
        # Names only: registering the collector must not query the database.
        return [_database_up(), *_Families().all()]

    def collect(self) -> Iterator[Metric]:
        up = _database_up()
        try:
            families = self._read()
        except TransientError as exc:
            log.warning("metrics_database_unavailable", error=str(exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families.all()

    def _read(self) -> _Families:
        with self.session_factory.begin() as session:
            metrics_bound_statements(session)
            outbox = outbox_stats(session)
            by_status = submission_counts_by_status(session)
            by_priority = review_backlog_by_priority(session)
            by_kind = submission_event_counts(session, kinds=COUNTED_EVENT_KINDS)
            callbacks = processed_callback_count(session)
            histograms = completion_latency_histograms(
                session, bounds_seconds=LATENCY_BOUNDS_SECONDS
            )
        f = _Families()
        for status, n in outbox.counts.items():
            f.outbox_rows.add_metric([status.value], n)
        # No pending row: nothing is waiting, so the oldest wait is zero.
        f.outbox_oldest_pending.add_metric([], outbox.oldest_pending_age_seconds or 0.0)
        f.outbox_last_hour.add_metric(["published"], outbox.published_last_hour)
        f.outbox_last_hour.add_metric(["failed"], outbox.failed_last_hour)
        for submission_status, n in by_status.items():
            f.submissions.add_metric([submission_status.value], n)
        for priority, n in by_priority.items():
            if priority is not None or n:
                f.review_backlog.add_metric([priority.value if priority else "none"], n)
        for kind, n in by_kind.items():
            f.events.add_metric([kind], n)
        f.callbacks.add_metric([], callbacks)
        for skill, histogram in histograms.items():
            buckets = zip(LATENCY_BOUNDS_SECONDS, histogram.bucket_counts, strict=True)
            f.latency.add_metric(
                [skill.value],
                [*((str(float(bound)), n) for bound, n in buckets), ("+Inf", histogram.count)],
                sum_value=histogram.sum_seconds,
            )
        return f


def _database_up() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "vstep_database_up", "1 when this scrape read the database, else 0 (see the log)."
    )


@dataclass
class _Families:
    outbox_rows: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_outbox_rows", "Outbox rows by status (the relay's backlog).", labels=["status"]
        )
    )
    outbox_oldest_pending: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox row (0 when none is pending).",
        )
    )
    outbox_last_hour: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_outbox_rows_last_hour",
            "Outbox rows published, or failed, in the last hour.",
            labels=["outcome"],
        )
    )
    submissions: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_submissions", "Live submissions by status.", labels=["status"]
        )
    )
    review_backlog: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_review_backlog",
            "Submissions waiting for a human review, by review priority.",
            labels=["priority"],
        )
    )
    events: CounterMetricFamily = field(
        default_factory=lambda: CounterMetricFamily(
            "vstep_submission_events",
            "Submission events recorded, by kind: results by outcome, retries, late, stale, "
            "redispatched.",
            labels=["kind"],
        )
    )
    callbacks: GaugeMetricFamily = field(
        default_factory=lambda: GaugeMetricFamily(
            "vstep_processed_callbacks",
            "Callbacks in the dedup inbox (kept CALLBACK_RETENTION_DAYS).",
        )
    )
    latency: HistogramMetricFamily = field(
        default_factory=lambda: HistogramMetricFamily(
            "vstep_completion_latency_seconds",
            "Time from intake to completed (human review included), per skill.",
            labels=["skill"],
        )
    )

    def all(self) -> list[Metric]:
        return [
            self.outbox_rows,
            self.outbox_oldest_pending,
            self.outbox_last_hour,
            self.submissions,
            self.review_backlog,
            self.events,
            self.callbacks,
            self.latency,
        ]
