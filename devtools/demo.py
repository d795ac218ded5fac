"""The demo producer of `make run`: submit realistic work through intake and watch it graded."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from db.models import ExamSession, Submission
from devtools.demo_data import create_demo_content, demo_answer
from devtools.demo_exam import sit_exams
from devtools.demo_reviewer import DemoReviewer, review_until
from domain.enums import Skill, SubmissionStatus

# Statuses after which the demo stops waiting for a submission.
SETTLED = {SubmissionStatus.COMPLETED, SubmissionStatus.FAILED, SubmissionStatus.REVIEW_PENDING}
FINAL = {SubmissionStatus.COMPLETED.value, SubmissionStatus.FAILED.value}
REFRESH_SECONDS = 0.25


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


def produce(
    factory: sessionmaker[Session],
    *,
    count: int,
    learners: int,
    seconds: float,
    sla: Mapping[Skill, timedelta],
    report: DemoReport,
    exams: int = 0,
) -> list[uuid.UUID]:
    """Create learners and questions, then submit ``count`` answers spread over ``seconds``.

    ``sla`` is the configured grading SLA per skill (``Settings.sla()``), as a producer
    in production passes it.
    """
    with factory.begin() as session:
        users, questions = create_demo_content(session, learners=learners, with_texts=True)
    rng = random.Random()
    pause = seconds / max(count, 1)
    for _ in range(count):
        user_id, ability = rng.choice(users)
        question = rng.choice(questions)
        submit_in_new_transaction(
            factory,
            request_id=uuid.uuid4(),
            user_id=user_id,
            question_id=question.id,
            answer=demo_answer(rng, question, ability),
            sla=sla,
        )
        report.submitted += 1
        time.sleep(pause)
    if exams:
        sessions, parts = sit_exams(
            factory, learners=rng.sample(users, min(exams, len(users))), questions=questions,
            sla=sla, rng=rng,
        )  # fmt: skip
        report.exam_sessions.extend(sessions)
        report.expected += parts
        report.submitted += parts
        report.exam_parts += parts
    return [user_id for user_id, _ in users]


def observe(factory: sessionmaker[Session], user_ids: list[uuid.UUID], report: DemoReport) -> None:
    with factory() as session:
        rows = session.execute(
            sa.select(
                Submission.status,
                Submission.score,
                sa.extract("epoch", Submission.completed_at - Submission.created_at),
            ).where(Submission.user_id.in_(user_ids))
        ).all()
    report.statuses = Counter(status.value for status, _, _ in rows)
    report.scores = Counter(score for _, score, _ in rows if score is not None)
    report.latencies = [float(latency) for _, _, latency in rows if latency is not None]
    report.routing = routing_counts(factory, user_ids)
    if report.exam_sessions:
        with factory() as session:
            report.exams = [
                (status.value, overall)
                for status, overall in session.execute(
                    sa.select(ExamSession.status, ExamSession.overall_score)
                    .where(ExamSession.id.in_(report.exam_sessions))
                    .order_by(ExamSession.started_at)
                )
            ]


# Where each writing or speaking submission went, from the submissions and their events.
_ROUTING = sa.text(
    """
    SELECT route, count(*) FROM (
        SELECT CASE WHEN s.audit_flag THEN 'completed automatically, audit flag'
                    ELSE 'completed automatically' END AS route
        FROM submissions s
        WHERE s.user_id = ANY(:users) AND s.grading_mode = 'auto'
          AND s.skill IN ('writing', 'speaking')
        UNION ALL
        SELECT 'sent to review, priority ' || coalesce(e.data ->> 'priority', '?')
        FROM submission_events e JOIN submissions s ON s.id = e.submission_id
        WHERE s.user_id = ANY(:users) AND e.kind = 'review_requested'
        UNION ALL
        SELECT 'of which spot checks (confident, sent anyway)'
        FROM submission_events e JOIN submissions s ON s.id = e.submission_id
        WHERE s.user_id = ANY(:users) AND e.kind = 'spot_check'
        UNION ALL
        SELECT 'reviews done: ' || CASE s.grading_mode::text
            WHEN 'hybrid' THEN 'merged with the AI result (hybrid)'
            ELSE 'the reviewer''s result stands (human)' END
        FROM submissions s
        WHERE s.user_id = ANY(:users) AND s.grading_mode IN ('hybrid', 'human')
        UNION ALL
        SELECT 'waiting for a reviewer now'
        FROM submissions s
        WHERE s.user_id = ANY(:users) AND s.status = 'review_pending'
    ) routes GROUP BY route
    """
)


def routing_counts(factory: sessionmaker[Session], user_ids: list[uuid.UUID]) -> Counter[str]:
    with factory() as session:
        return Counter(
            {str(route): int(n) for route, n in session.execute(_ROUTING, {"users": user_ids})}
        )


def run_demo(
    factory: sessionmaker[Session],
    console: Console,
    *,
    sla: Mapping[Skill, timedelta],
    count: int = 300,
    learners: int = 25,
    exams: int = 3,
    produce_seconds: float = 5.0,
    timeout_seconds: float = 300.0,
    reviewer: DemoReviewer | None = None,
) -> DemoReport:
    """Submit, show progress live until every submission settles (with a reviewer: until
    every one is final), and return the figures."""
    report = DemoReport(expected=count)
    users: list[uuid.UUID] = []
    started = time.monotonic()

    def producer() -> None:
        users.extend(
            produce(
                factory,
                count=count,
                learners=learners,
                exams=exams,
                seconds=produce_seconds,
                sla=sla,
                report=report,
            )
        )

    thread = threading.Thread(target=producer, name="demo-producer", daemon=True)
    thread.start()
    done = threading.Event()
    reviewing = (
        threading.Thread(
            target=review_until, args=(reviewer, done.is_set), name="demo-reviewer", daemon=True
        )
        if reviewer is not None
        else None
    )
    if reviewing is not None:
        reviewing.start()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
    submitted_task = progress.add_task("submitted", total=count)
    graded_task = progress.add_task("graded   ", total=count)
    final_task = progress.add_task("final    ", total=count)
    tasks = (submitted_task, graded_task, final_task)
    try:
        with Live(console=console, refresh_per_second=8) as live:
            while time.monotonic() - started < timeout_seconds:
                if users:
                    observe(factory, users, report)
                for task in tasks:
                    progress.update(task, total=report.expected)
                progress.update(submitted_task, completed=report.submitted)
                progress.update(graded_task, completed=report.settled)
                progress.update(final_task, completed=report.final)
                live.update(Group(progress, status_table(report)))
                waited = report.final if reviewer is not None else report.settled
                if not thread.is_alive() and waited >= report.expected:
                    break
                time.sleep(REFRESH_SECONDS)
    finally:
        done.set()
        if reviewing is not None:
            reviewing.join()
    if reviewer is not None:
        report.reviewed = reviewer.reviewed
    report.seconds = time.monotonic() - started
    return report


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
