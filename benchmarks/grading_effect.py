"""Our objective grading in a plain loop, against the floor: the same writes by hand.

    .venv/bin/python -m benchmarks.grading_effect [--submissions 3000] [--rounds 3]

Both sides grade queued submissions one after the other, one transaction each, on one
connection: ours is ``GradingService.grade`` as a worker thread calls it (the request
parsed from its outbox payload, the lock, the decision, the one result path, logging,
metrics); the floor is ``benchmarks.hand_grading.grade_by_hand``, the same rows written
by hand with psycopg (tests/integration/test_hand_grading.py checks they are the same).
Each side has a fresh database seeded with the same workload; the rounds alternate
between the sides, so a burst of load on the shared machine hits both alike.

Two more rows say what logging and validation cost per grading: ours with the log at
``info`` (one JSON line per grading, written to /dev/null), and the payload's validation
(``parse_grading_request``) alone.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
import structlog

from benchmarks import common as bench
from benchmarks import workload
from benchmarks.hand_grading import grade_by_hand
from domain.messages import GradingRequest, parse_grading_request
from workers.actors import RetryPolicy
from workers.grading import Delivery, GradingService, Outcome
from workers.logging import configure_logging

DEFAULT_SUBMISSIONS = 3000
DEFAULT_ROUNDS = 3
DEFAULT_LEARNERS = 500
WORKLOAD_SEED = 20261130


@dataclass
class Side:
    name: str
    db: bench.Database
    ids: list[uuid.UUID]
    grade: Callable[[uuid.UUID], None]
    # Our side's log level; the floor logs nothing.
    level: str = "warning"
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    graded: int = 0

    @property
    def rate(self) -> float:
        return bench.per_second(self.graded, self.seconds)


def main() -> None:
    args = parse_args()
    with bench.bench_environment("grading effect benchmark") as env:
        ours = prepare(env, "ours", args)
        floor = prepare(env, "floor", args)
        ours_info = prepare(env, "ours_info", args)
        sides = [
            our_side("ours (log warning)", ours, level="warning"),
            hand_side("floor (by hand, psycopg)", floor),
            our_side("ours (log info)", ours_info, level="info"),
        ]
        try:
            for round_number in range(args.rounds):
                for side in sides:
                    run_round(side, round_number, args.rounds)
        finally:
            configure_logging("json", "warning")
        check_completed(sides)
        validation = validation_cost(ours[0])
        print_results(sides, validation, args)


def parse_args() -> argparse.Namespace:
    parser = workload.workload_parser(
        "grading_effect", __doc__, DEFAULT_SUBMISSIONS, DEFAULT_LEARNERS
    )
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    args = parser.parse_args()
    if min(args.submissions, args.rounds, args.learners) < 1:
        parser.error("every count must be positive")
    return args


def prepare(
    env: bench.BenchEnv, tag: str, args: argparse.Namespace
) -> tuple[bench.Database, list[uuid.UUID]]:
    bench.progress(f"{tag}: a fresh database, {args.submissions:,} queued submissions")
    db = env.create_database(tag, pool_size=1)
    with db.session_factory.begin() as session:
        fixtures: workload.Fixtures = workload.create_fixtures(session, learners=args.learners)
    plan = workload.plan_workload(
        WORKLOAD_SEED,
        learners=args.learners,
        questions=fixtures.questions,
        count=args.submissions,
    )
    ids = workload.seed_submissions(db.engine, fixtures, plan, queued=True)
    workload.analyze(db.engine)
    return db, ids


def requests_of(db: bench.Database) -> dict[uuid.UUID, tuple[str, GradingRequest]]:
    """The grading request of each submission, from its outbox payload, as a worker gets it."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, submission_id, payload FROM outbox")).all()
    return {
        submission_id: (str(outbox_id), parse_grading_request(payload))
        for outbox_id, submission_id, payload in rows
    }


def our_side(name: str, prepared: tuple[bench.Database, list[uuid.UUID]], *, level: str) -> Side:
    db, ids = prepared
    service = GradingService(db.engine)
    payloads = requests_of(db)
    max_retries = RetryPolicy().max_retries

    def grade(submission_id: uuid.UUID) -> None:
        message_id, request = payloads[submission_id]
        # As the actor does: the payload is validated on every delivery.
        request = parse_grading_request(request.to_payload())
        delivery = Delivery(message_id, max_retries=max_retries, worker_id="bench")
        outcome = service.grade(request, delivery).outcome
        if outcome is not Outcome.COMPLETED:
            raise bench.BenchmarkError(f"{name}: grading {submission_id} ended {outcome.value}")

    return Side(name, db, ids, grade, level=level)


def hand_side(name: str, prepared: tuple[bench.Database, list[uuid.UUID]]) -> Side:
    db, ids = prepared
    conn = psycopg.connect(db.libpq_url)

    def grade(submission_id: uuid.UUID) -> None:
        grade_by_hand(conn, submission_id)

    return Side(name, db, ids, grade)


def run_round(side: Side, round_number: int, rounds: int) -> None:
    share = len(side.ids) // rounds
    start = round_number * share
    end = len(side.ids) if round_number == rounds - 1 else start + share
    batch: Sequence[uuid.UUID] = side.ids[start:end]
    with open(os.devnull, "w") as sink:
        if side.level == "info":
            configure_logging("json", "info")
            structlog.configure(logger_factory=structlog.WriteLoggerFactory(file=sink))
        else:
            configure_logging("json", "warning")
        bench.progress(f"round {round_number + 1}/{rounds}: {side.name}, {len(batch):,} gradings")
        started, cpu = time.perf_counter(), time.process_time()
        for submission_id in batch:
            side.grade(submission_id)
        side.seconds += time.perf_counter() - started
        side.cpu_seconds += time.process_time() - cpu
        side.graded += len(batch)
        configure_logging("json", "warning")


def check_completed(sides: Sequence[Side]) -> None:
    for side in sides:
        with side.db.engine.connect() as conn:
            done = conn.execute(
                sa.text("SELECT count(*) FROM submissions WHERE status = 'completed'")
            ).scalar_one()
        if done != len(side.ids):
            raise bench.BenchmarkError(f"{side.name}: {done} of {len(side.ids)} completed")


def line_cost(lines: int = 5000) -> float:
    """Seconds of CPU per info line of the shape a completed grading writes, to /dev/null."""
    with open(os.devnull, "w") as sink:
        configure_logging("json", "info")
        structlog.configure(logger_factory=structlog.WriteLoggerFactory(file=sink))
        context = structlog.get_logger("vstep.worker").bind(
            submission_id=str(uuid.uuid4()),
            request_id=str(uuid.uuid4()),
            trace_id=uuid.uuid4().hex,
            message_id=str(uuid.uuid4()),
        )
        started = time.process_time()
        for _ in range(lines):
            context.info("submission_completed", score=7.5, band="B2", latency_seconds=0.012)
        spent = time.process_time() - started
        configure_logging("json", "warning")
    return spent / lines


def validation_cost(db: bench.Database) -> float:
    """Seconds per ``parse_grading_request`` of a real payload."""
    with db.engine.connect() as conn:
        payloads = [row[0] for row in conn.execute(sa.text("SELECT payload FROM outbox"))]
    started = time.perf_counter()
    for payload in payloads:
        parse_grading_request(payload)
    return (time.perf_counter() - started) / len(payloads)


def print_results(sides: Sequence[Side], validation: float, args: argparse.Namespace) -> None:
    ours, floor, ours_info = sides
    print(
        f"workload: {args.submissions:,} queued objective submissions per side (6 formats) "
        f"from {args.learners} learners, {args.rounds} alternating rounds, one connection"
    )
    rows = [
        [
            side.name,
            f"{side.graded:,}",
            bench.fmt_rate(side.rate),
            f"{side.seconds / side.graded * 1000:.2f} ms",
            f"{side.cpu_seconds / side.graded * 1000:.2f} ms",
            bench.fmt_ratio(side.rate / floor.rate),
        ]
        for side in sides
    ]
    bench.print_table(
        "Gradings per second in a plain loop, one transaction each (higher is better)",
        ["run", "graded", "graded/s", "wall/grading", "python cpu/grading", "vs floor"],
        rows,
    )
    cpu_cost = (ours_info.cpu_seconds / ours_info.graded) - (ours.cpu_seconds / ours.graded)
    print(
        f"logging at info: one line costs {line_cost() * 1e6:.0f} us of CPU on its own; "
        f"the info side spent {cpu_cost * 1e6:+.0f} us of CPU per grading more than the "
        "warning side (their wall times differ by the machine's noise as much)"
    )
    print(f"validating a grading.request payload: {validation * 1e6:.0f} us per message")
    print(f"ratio ours/floor (graded/s): {bench.fmt_ratio(ours.rate / floor.rate)}", flush=True)


if __name__ == "__main__":
    bench.run_main(main)
