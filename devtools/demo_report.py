"""What the demo of `make run` watches and prints: submissions by status, scores, routing
to review, mock exams and throughput."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from db.learner_outcomes import exam_outcomes, routing_counts, submission_outcomes
from domain.enums import SubmissionStatus

# Statuses after which the demo stops waiting for a submission.
SETTLED = {SubmissionStatus.COMPLETED, SubmissionStatus.FAILED, SubmissionStatus.REVIEW_PENDING}
FINAL = {SubmissionStatus.COMPLETED.value, SubmissionStatus.FAILED.value}


@dataclass
class DemoReport:
    submitted: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    scores: Counter[Decimal] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    # Writing and speaking: how the confidence table routed them, and the reviews.
    routing: Counter[str] = field(default_factory=Counter)
    reviewed: int = 0
    # Submissions the demo expects to see graded: its answers and its exams' parts.
    expected: int = 0
    # Of the submissions, those that are parts of the mock exams (one per question).
    exam_parts: int = 0
    exam_sessions: list[uuid.UUID] = field(default_factory=list)
    # Each exam session: (status, overall score).
    exams: list[tuple[str, Decimal | None]] = field(default_factory=list)

    @property
    def settled(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in SETTLED)

    @property
    def final(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in FINAL)

    def percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def observe(factory: sessionmaker[Session], user_ids: list[uuid.UUID], report: DemoReport) -> None:
    with factory() as session:
        outcomes = submission_outcomes(session, user_ids=user_ids)
        report.routing = routing_counts(session, user_ids=user_ids)
        if report.exam_sessions:
            exams = exam_outcomes(session, session_ids=report.exam_sessions)
            report.exams = [(status.value, overall) for status, overall in exams]
    report.statuses = Counter(outcome.status.value for outcome in outcomes)
    report.scores = Counter(outcome.score for outcome in outcomes if outcome.score is not None)
    report.latencies = [outcome.seconds for outcome in outcomes if outcome.seconds is not None]


def status_table(report: DemoReport) -> Table:
    table = Table(title="submissions by status", title_justify="left")
    table.add_column("status")
    table.add_column("count", justify="right")
    for status in SubmissionStatus:
        table.add_row(status.value, str(report.statuses.get(status.value, 0)))
    return table


def summary_tables(report: DemoReport) -> list[Table]:
    scores = Table(title="score distribution", title_justify="left")
    scores.add_column("score", justify="right")
    scores.add_column("submissions (exam parts included)", justify="right")
    scores.add_column("")
    top = max(report.scores.values(), default=1)
    for score in sorted(report.scores):
        n = report.scores[score]
        scores.add_row(str(score), str(n), "#" * max(1, round(30 * n / top)))
    figures = Table(title="throughput", title_justify="left")
    figures.add_column("measure")
    figures.add_column("value", justify="right")
    p50, p99 = report.percentile(0.50), report.percentile(0.99)
    answers = report.submitted - report.exam_parts
    figures.add_row(
        "submissions (answers + exam parts)",
        f"{report.submitted} ({answers} + {report.exam_parts})",
    )
    figures.add_row("settled (graded, or waiting for a reviewer)", str(report.settled))
    figures.add_row("wall time", f"{report.seconds:.1f} s")
    figures.add_row("graded per second", f"{report.settled / max(report.seconds, 1e-9):.1f}")
    figures.add_row("latency p50 (submitted -> final)", f"{p50:.3f} s" if p50 is not None else "-")
    figures.add_row("latency p99", f"{p99:.3f} s" if p99 is not None else "-")
    routes = Table(
        title="writing and speaking (exam parts included): routing and review",
        title_justify="left",
    )
    routes.add_column("route")
    routes.add_column("submissions", justify="right")
    for route in sorted(report.routing):
        routes.add_row(route, str(report.routing[route]))
    # The reviewer works through the whole queue, earlier runs' submissions included.
    routes.add_row(
        "reviews the demo reviewer posted (signed HTTP; the whole queue)", str(report.reviewed)
    )
    tables = [scores, routes]
    if report.exams:
        exams = Table(title="mock exams (one submission per question)", title_justify="left")
        exams.add_column("session")
        exams.add_column("status")
        exams.add_column("overall", justify="right")
        for n, (status, overall) in enumerate(report.exams, start=1):
            exams.add_row(str(n), status, "-" if overall is None else str(overall))
        tables.append(exams)
    return [*tables, figures]
