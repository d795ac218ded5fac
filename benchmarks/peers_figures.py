"""The peers benchmark's figures: one run of a queue at a concurrency, and the table
printed from the runs (benchmarks.peers)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks import common as bench


@dataclass(frozen=True)
class Run:
    name: str
    in_flight: int
    # Wall clock (epoch seconds) at the start, and the last completed_at.
    started: float
    last_completed: float
    # Wall clock when the runner saw the work drained.
    drained: float
    count: int
    # Busy CPU seconds of the whole machine (every process, PostgreSQL's too) in the run.
    busy_seconds: float

    @property
    def seconds(self) -> float:
        return self.last_completed - self.started

    @property
    def rate(self) -> float:
        return bench.per_second(self.count, self.seconds)


def print_results(runs: Sequence[Run], args: argparse.Namespace) -> None:
    ours = [run for run in runs if run.name.startswith("ours")]
    best = max(run.rate for run in ours) if ours else None
    print(
        f"workload: {args.submissions:,} objective submissions (6 formats) from "
        f"{args.learners} learners, seeded before the clock; every job the same writes "
        "(peers and the hand loop: benchmarks/hand_grading.py; ours: GradingService)",
        end="\n\n",
    )
    bench.print_table(
        "Submissions graded per second, start -> last completed_at (higher is better); "
        "CPU/job: busy CPU time of the whole machine (every process) per submission",
        ["run", "in flight", "jobs/s", "time", "drained after", "CPU/job", "/ our best"],
        [
            [
                run.name,
                str(run.in_flight),
                bench.fmt_rate(run.rate),
                f"{run.seconds:.1f} s",
                f"{run.drained - run.started:.1f} s",
                bench.fmt_ms(run.busy_seconds / run.count),
                bench.fmt_ratio(run.rate / best) if best else "-",
            ]
            for run in runs
        ],
    )
    sys.stdout.flush()
