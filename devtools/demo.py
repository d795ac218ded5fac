"""The demo producer of `make run`: submit realistic work through intake and watch it graded."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.orm import Session, sessionmaker

from devtools.demo_data import create_demo_content, submit_demo_answer
from devtools.demo_exam import sit_exams
from devtools.demo_report import DemoReport, observe, status_table
from devtools.demo_reviewer import DemoReviewer, review_until
from domain.enums import Skill

REFRESH_SECONDS = 0.25


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
        submit_demo_answer(factory, rng, users, questions, sla=sla)
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
        users.extend(produce(
            factory, count=count, learners=learners, exams=exams, seconds=produce_seconds,
            sla=sla, report=report,
        ))  # fmt: skip

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
