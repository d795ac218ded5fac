"""Read-only named queries behind ``/metrics``: what every process did, read at scrape time.

Workers, relays and schedulers run in processes of their own, on other machines too; the
database is where their outcomes meet, so the metrics server counts rows instead of
gathering each process's counters. Each query is one aggregate statement. Counting
whole tables costs a scan per scrape, so the transaction caps it with a statement timeout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import ProcessedCallback, Submission, SubmissionEvent
from domain.enums import ReviewPriority, Skill, SubmissionStatus

# Longest a scrape's statement may run before it is abandoned, in milliseconds.
METRICS_STATEMENT_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class LatencyHistogram:
    """Cumulative counts per upper bound (seconds), as a Prometheus histogram has them."""

    bucket_counts: list[int]
    count: int
    sum_seconds: float


def metrics_bound_statements(session: Session) -> None:
    """Cap every following statement of this transaction (a scrape never piles up)."""
    session.execute(sa.text(f"SET LOCAL statement_timeout = {METRICS_STATEMENT_TIMEOUT_MS}"))


def submission_counts_by_status(session: Session) -> dict[SubmissionStatus, int]:
    """Live submissions per status, every status present (zero when none)."""
    rows = session.execute(
        sa.select(Submission.status, sa.func.count())
        .where(Submission.deleted_at.is_(None))
        .group_by(Submission.status)
    )
    counts = dict.fromkeys(SubmissionStatus, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def review_backlog_by_priority(session: Session) -> dict[ReviewPriority | None, int]:
    """Live submissions waiting for a reviewer per priority (None: no priority recorded)."""
    rows = session.execute(
        sa.select(Submission.review_priority, sa.func.count())
        .where(
            Submission.status == SubmissionStatus.REVIEW_PENDING,
            Submission.deleted_at.is_(None),
        )
        .group_by(Submission.review_priority)
    )
    counts: dict[ReviewPriority | None, int] = dict.fromkeys(ReviewPriority, 0)
    counts.update({priority: int(n) for priority, n in rows})
    return counts


def submission_event_counts(session: Session, *, kinds: Iterable[str]) -> dict[str, int]:
    """How many events of each of ``kinds`` were ever recorded (the event log is append-only;
    only a deleted submission takes its events with it)."""
    wanted = list(kinds)
    rows = session.execute(
        sa.select(SubmissionEvent.kind, sa.func.count())
        .where(SubmissionEvent.kind.in_(wanted))
        .group_by(SubmissionEvent.kind)
    )
    counts = dict.fromkeys(wanted, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts


def processed_callback_count(session: Session) -> int:
    """Rows in the callback inbox (kept CALLBACK_RETENTION_DAYS, then deleted)."""
    return int(
        session.execute(sa.select(sa.func.count()).select_from(ProcessedCallback)).scalar_one()
    )


def completion_latency_histograms(
    session: Session, *, bounds_seconds: Sequence[float]
) -> dict[Skill, LatencyHistogram]:
    """Per skill, ``completed_at - created_at`` of every live completed submission, counted
    cumulatively under each bound (human review time included where there was one)."""
    latency = sa.extract("epoch", Submission.completed_at - Submission.created_at)
    rows = session.execute(
        sa.select(
            Submission.skill,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(latency), 0),
            *(sa.func.count().filter(latency <= bound) for bound in bounds_seconds),
        )
        .where(
            Submission.status == SubmissionStatus.COMPLETED,
            Submission.completed_at.is_not(None),
            Submission.deleted_at.is_(None),
        )
        .group_by(Submission.skill)
    )
    found = {
        skill: LatencyHistogram([int(n) for n in buckets], int(count), float(total))
        for skill, count, total, *buckets in rows
    }
    empty = LatencyHistogram([0] * len(bounds_seconds), 0, 0.0)
    return {skill: found.get(skill, empty) for skill in Skill}
