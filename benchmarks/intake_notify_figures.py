"""The intake NOTIFY benchmark's figures (benchmarks.intake_notify): the trigger modes
compared, one run's result, and the tables printed from the runs."""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks import common as bench
from benchmarks.intake_producers import PRODUCER_KINDS


@dataclass(frozen=True)
class Mode:
    name: str
    label: str


MODES = (
    Mode("every", "NOTIFY every insert (0003)"),
    Mode("idle", "NOTIFY while a relay idles (0005)"),
    Mode("none", "no NOTIFY (trigger disabled)"),
)


@dataclass(frozen=True)
class Run:
    kind: str
    mode: str
    commits: int
    seconds: float
    # Notifications a bystander LISTEN connection received: one per notifying commit.
    notified: int
    # outbox created_at -> published_at of the run's rows, in SQL (seconds).
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.commits / self.seconds


def print_results(runs: Sequence[Run], args: argparse.Namespace) -> None:
    kinds = [kind for kind in PRODUCER_KINDS if any(r.kind == kind for r in runs)]

    def rate(kind: str, mode: str) -> float:
        return statistics.median(r.rate for r in runs if r.kind == kind and r.mode == mode)

    def notified(kind: str, mode: str) -> str:
        chosen = [r for r in runs if r.kind == kind and r.mode == mode]
        return f"{sum(r.notified for r in chosen) / max(1, sum(r.commits for r in chosen)):.0%}"

    names = {"python": "Python intake", "sql": "SQL contract"}
    bench.print_table(
        f"Intake commits per second: {args.producers} producer processes, one submission per "
        f"transaction, {args.seconds:g} s per run, median of {args.rounds} (higher is better)",
        ["producers", *(m.label for m in MODES), "0005/0003", "0003/none"],
        [
            [
                names[kind],
                *(bench.fmt_rate(rate(kind, m.name)) for m in MODES),
                bench.fmt_ratio(rate(kind, "idle") / rate(kind, "every")),
                bench.fmt_ratio(rate(kind, "every") / rate(kind, "none")),
            ]
            for kind in kinds
        ],
    )
    bench.print_table(
        "Notifying commits, and latency while they commit: outbox created_at -> "
        "published_at, all runs' rows (lower is better)",
        ["producers", "trigger", "commits that sent NOTIFY", "rows", "p50", "p99"],
        [
            [
                names[kind],
                mode.label,
                notified(kind, mode.name),
                f"{len(latencies):,}",
                bench.fmt_ms(bench.percentile(latencies, 0.5)),
                bench.fmt_ms(bench.percentile(latencies, 0.99)),
            ]
            for kind in kinds
            for mode in MODES
            for latencies in [
                [x for r in runs if r.kind == kind and r.mode == mode.name for x in r.latencies]
            ]
        ],
    )
