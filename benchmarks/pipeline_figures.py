"""The pipeline benchmark's figures: what each side did (the floor's loop, the database's
account of a pipeline run) and the tables printed from them (benchmarks.pipeline)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from benchmarks import common as bench
from workers.relay import RelaySettings


@dataclass(frozen=True)
class Floor:
    """The hand loop: intake then grading, one submission after the other."""

    graded: int
    seconds: float
    # Busy CPU seconds of the whole machine over the loop.
    busy_seconds: float

    @property
    def rate(self) -> float:
        return bench.per_second(self.graded, self.seconds)


def print_ceiling(floor: Floor, results: Sequence[Outcomes]) -> None:
    """What the cores allow: no spreading of the work beats cores / CPU per submission."""
    cores = os.cpu_count() or 1
    floor_cpu = floor.busy_seconds / floor.graded
    cheapest = min(result.busy_seconds / max(result.completed, 1) for result in results)
    ceiling = cores / cheapest
    print(
        f"cores: the floor kept {floor_cpu * floor.rate:.2f} of {cores} cores busy "
        f"({bench.fmt_ms(floor_cpu)} of CPU per submission); at the pipeline's cheapest "
        f"{bench.fmt_ms(cheapest)} per submission, {cores} cores grade at most "
        f"{bench.fmt_rate(ceiling)}: {bench.fmt_ratio(ceiling / floor.rate)} the floor"
    )


@dataclass(frozen=True)
class Outcomes:
    """What the database says happened, the same query for both sides."""

    statuses: dict[str, int]
    # First submissions.created_at -> last completed_at.
    span_seconds: float
    # created_at -> completed_at of each completed submission.
    latencies: list[float]
    # created_at -> outbox.published_at.
    to_published: list[float]
    # Wall time of the producers' intake.
    intake_seconds: float
    # Busy CPU seconds of the whole machine from the first intake to the last grade.
    busy_seconds: float

    @property
    def completed(self) -> int:
        return self.statuses.get("completed", 0)

    @property
    def rate(self) -> float:
        return bench.per_second(self.completed, self.span_seconds)


def outcomes(db: bench.Database, intake_seconds: float, busy_seconds: float) -> Outcomes:
    with db.engine.connect() as conn:
        statuses = {
            str(status): int(n)
            for status, n in conn.execute(
                sa.text("SELECT status, count(*) FROM submissions GROUP BY status")
            )
        }
        span = conn.execute(
            sa.text(
                "SELECT extract(epoch FROM max(completed_at) - min(created_at))::float8 "
                "FROM submissions"
            )
        ).scalar_one()
        rows = conn.execute(
            sa.text(
                "SELECT extract(epoch FROM s.completed_at - s.created_at)::float8, "
                "extract(epoch FROM o.published_at - s.created_at)::float8 "
                "FROM submissions s JOIN outbox o ON o.submission_id = s.id "
                "WHERE s.status = 'completed'"
            )
        ).all()
    return Outcomes(
        statuses=statuses,
        span_seconds=float(span or 0.0),
        latencies=[float(latency) for latency, _ in rows],
        to_published=[float(published) for _, published in rows if published is not None],
        intake_seconds=intake_seconds,
        busy_seconds=busy_seconds,
    )


def print_results(
    floor: Floor, results: Sequence[tuple[tuple[int, int], Outcomes]], args: argparse.Namespace
) -> None:
    n = args.submissions
    print(
        f"workload: {n:,} objective submissions (6 formats) from {args.learners} learners, "
        "the same on every side"
    )
    print(
        "floor: intake then grading by hand (benchmarks.hand_intake, benchmarks.hand_grading; "
        "psycopg), one submission after the other on one connection, no relay"
    )
    print(
        f"pipeline: {args.producer_threads} intake threads (submit_for_grading, "
        f"{args.intake_batch} per transaction) + run_relay thread (batch "
        f"{RelaySettings().batch_size}, LISTEN/NOTIFY) + `vstep-grading worker "
        "--processes P --threads T`",
        end="\n\n",
    )
    rows = [
        [
            "floor (by hand, 1 connection)",
            f"{floor.graded:,}",
            f"{floor.seconds:.1f} s",
            bench.fmt_rate(floor.rate),
            "-",
            "-",
            "-",
            bench.fmt_ms(floor.busy_seconds / floor.graded),
            bench.fmt_ratio(1.0),
        ]
    ]
    for (processes, threads), result in results:
        rows.append(
            [
                f"pipeline {processes}x{threads}",
                f"{result.completed:,}",
                f"{result.span_seconds:.1f} s",
                bench.fmt_rate(result.rate),
                bench.fmt_ms(bench.percentile(result.latencies, 0.50)),
                bench.fmt_ms(bench.percentile(result.latencies, 0.99)),
                bench.fmt_rate(bench.per_second(n, result.intake_seconds)),
                bench.fmt_ms(result.busy_seconds / max(result.completed, 1)),
                bench.fmt_ratio(result.rate / floor.rate),
            ]
        )
    bench.print_table(
        "Graded submissions per second, first intake -> last completed_at (higher is better); "
        "latency created_at -> completed_at; CPU/sub: busy CPU time of the whole machine "
        "(every process, PostgreSQL's included) per submission",
        ["run", "completed", "time", "graded/s", "p50", "p99", "intake/s", "CPU/sub", "vs floor"],
        rows,
    )
    for (processes, threads), result in results:
        if result.to_published:
            print(
                f"pipeline {processes}x{threads} created_at -> outbox.published_at: "
                f"p50 {bench.fmt_ms(bench.percentile(result.to_published, 0.50))}, "
                f"p99 {bench.fmt_ms(bench.percentile(result.to_published, 0.99))}"
            )
        if result.completed != n:
            print(
                f"pipeline {processes}x{threads}: not every submission completed: {result.statuses}"
            )
    print_ceiling(floor, [result for _, result in results])
    best = max(result.rate for _, result in results)
    print(f"ratio best pipeline/floor (graded/s): {bench.fmt_ratio(best / floor.rate)}", flush=True)
