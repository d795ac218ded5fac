"""Objective submissions end to end: intake -> outbox -> relay -> Redis -> grading workers.

    .venv/bin/python -m benchmarks.pipeline [--submissions 5000] [--settings 1x4 1x16 2x8]

For each setting (worker processes x threads), a fresh database: producers commit the
workload through our intake while the relay and `vstep-grading worker` run. Against, in
the same run, the floor: the same database writes by hand with psycopg in a plain loop,
intake (``benchmarks.hand_intake``) then grading (``benchmarks.hand_grading``), one
transaction each, one submission after the other.
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg
import sqlalchemy as sa

from benchmarks import common as bench
from benchmarks.hand_grading import grade_by_hand
from benchmarks.hand_intake import intake_by_hand
from benchmarks.pipeline_figures import Floor, Outcomes, outcomes, print_results
from benchmarks.relay_thread import relay_thread
from benchmarks.worker_processes import (
    add_worker_settings,
    check_alive,
    start_workers,
    stop_workers,
    wait_workers_ready,
)
from benchmarks.workload import Fixtures, Planned, create_fixtures, plan_workload, workload_parser
from db.intake import submit_for_grading
from domain.answers import validate_answer

DEFAULT_SUBMISSIONS = 5_000
DEFAULT_LEARNERS = 500
DEFAULT_PRODUCER_THREADS = 4
DEFAULT_INTAKE_BATCH = 1
# processes x threads of `vstep-grading worker`; 2x8 is the Procfile's line.
DEFAULT_SETTINGS = ("1x4", "1x16", "2x8")
WORKLOAD_SEED = 20240601
# Statuses a submission ends in.
SETTLED = ("completed", "failed", "review_pending")
# Waiting for the last grade: the slowest rate worth reporting, plus a fixed allowance.
SETTLE_MIN_RATE_PER_SECOND = 10.0
SETTLE_ALLOWANCE_SECONDS = 120.0
SETTLE_POLL_SECONDS = 0.5
PROGRESS_EVERY_SECONDS = 10.0


def main() -> None:
    args = parse_args()
    with bench.bench_environment("pipeline benchmark") as env:
        floor = run_floor(env, args)
        results = []
        for processes, threads in args.settings:
            db, fixtures = prepare(env, f"pipeline_{processes}x{threads}", args)
            plan = workload(fixtures, args)
            results.append(
                (
                    (processes, threads),
                    run_pipeline(env, db, fixtures, plan, args, processes, threads),
                )
            )
            env.drop_database(db)
        print_results(floor, results, args)


def parse_args() -> argparse.Namespace:
    parser = workload_parser("pipeline", __doc__, DEFAULT_SUBMISSIONS, DEFAULT_LEARNERS)
    parser.add_argument(
        "--producer-threads",
        type=int,
        default=DEFAULT_PRODUCER_THREADS,
        help="pipeline intake threads, one transaction per submission",
    )
    parser.add_argument(
        "--intake-batch",
        type=int,
        default=DEFAULT_INTAKE_BATCH,
        help="submissions per intake transaction",
    )
    add_worker_settings(parser, "--settings", DEFAULT_SETTINGS)
    args = parser.parse_args()
    counts = (args.submissions, args.learners, args.producer_threads, args.intake_batch)
    if min(counts) < 1:
        parser.error("every count must be positive")
    return args


def prepare(
    env: bench.BenchEnv, tag: str, args: argparse.Namespace
) -> tuple[bench.Database, Fixtures]:
    bench.progress(f"{tag}: creating and migrating a database, {args.learners} learners")
    db = env.create_database(tag, pool_size=args.producer_threads + 1)
    with db.session_factory.begin() as session:
        fixtures = create_fixtures(session, learners=args.learners)
    return db, fixtures


def workload(fixtures: Fixtures, args: argparse.Namespace) -> list[Planned]:
    """Who answers what, and how: every side gets exactly these answers."""
    return plan_workload(
        WORKLOAD_SEED, learners=args.learners, questions=fixtures.questions, count=args.submissions
    )


def submit_batch(
    db: bench.Database, fixtures: Fixtures, items: Sequence[Planned]
) -> list[uuid.UUID]:
    """Intake of ``items`` in one transaction (submit_for_grading each); their outbox ids."""
    outbox_ids = []
    with db.engine.begin() as session:
        for item in items:
            result = submit_for_grading(
                session,
                request_id=uuid.uuid4(),
                user_id=fixtures.learners[item.learner],
                question_id=fixtures.questions[item.question].id,
                answer=item.answer,
            )
            if result.outbox_id is None:
                raise bench.BenchmarkError(f"intake wrote no outbox row for {result.request_id}")
            outbox_ids.append(result.outbox_id)
    return outbox_ids


def chunks(items: Sequence[Planned], size: int) -> list[Sequence[Planned]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# --- floor -------------------------------------------------------------------------------


def run_floor(env: bench.BenchEnv, args: argparse.Namespace) -> Floor:
    """Intake then grading by hand, one submission after the other, on one connection."""
    db, fixtures = prepare(env, "floor", args)
    try:
        plan = workload(fixtures, args)
        bench.progress(f"floor: {len(plan):,} submissions, intake then grading by hand, one by one")
        with psycopg.connect(db.libpq_url) as conn:
            busy = bench.machine_busy_seconds()
            started = time.perf_counter()
            for item in plan:
                question = fixtures.questions[item.question]
                submission_id = intake_by_hand(
                    conn,
                    user_id=fixtures.learners[item.learner],
                    question_id=question.id,
                    answer=validate_answer(question.format, item.answer),
                    status="queued",
                )
                grade_by_hand(conn, submission_id)
            seconds = time.perf_counter() - started
            busy = bench.machine_busy_seconds() - busy
        return Floor(len(plan), seconds, busy)
    finally:
        env.drop_database(db)


# --- pipeline -----------------------------------------------------------------------------


def run_pipeline(
    env: bench.BenchEnv,
    db: bench.Database,
    fixtures: Fixtures,
    plan: Sequence[Planned],
    args: argparse.Namespace,
    processes: int,
    threads: int,
) -> Outcomes:
    env.flush_namespace()
    log_path = env.state_dir / f"workers-{processes}x{threads}.log"
    setting = argparse.Namespace(worker_processes=processes, worker_threads=threads)
    workers = start_workers(env, db, setting, log_path)
    try:
        with relay_thread(env, db) as relay:
            wait_workers_ready(env, workers, processes, log_path)
            relay.start()
            busy = bench.machine_busy_seconds()
            bench.progress(
                f"pipeline {processes}x{threads}: {len(plan):,} submissions from "
                f"{args.producer_threads} intake threads"
            )
            intake_seconds = produce(db, fixtures, plan, args.producer_threads, args.intake_batch)
            bench.progress(
                f"pipeline: intake done in {intake_seconds:.1f} s, waiting for the grades"
            )
            wait_settled(db, len(plan), workers, log_path)
            busy = bench.machine_busy_seconds() - busy
    finally:
        stop_workers(workers)
    return outcomes(db, intake_seconds, busy)


def produce(
    db: bench.Database, fixtures: Fixtures, plan: Sequence[Planned], threads: int, intake_batch: int
) -> float:
    """Intake of the whole plan from ``threads`` threads; the wall time it took."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def work(items: Sequence[Planned]) -> None:
        try:
            for batch in chunks(items, intake_batch):
                if stop.is_set():
                    return
                submit_batch(db, fixtures, batch)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            stop.set()

    producers = [
        threading.Thread(target=work, args=(plan[n::threads],), name=f"intake-{n}", daemon=True)
        for n in range(threads)
    ]
    started = time.perf_counter()
    for thread in producers:
        thread.start()
    try:
        for thread in producers:
            thread.join()
    finally:
        stop.set()
        for thread in producers:
            thread.join(bench.RELAY_JOIN_SECONDS)
    if errors:
        raise bench.BenchmarkError(f"intake failed: {errors[0]!r}") from errors[0]
    return time.perf_counter() - started


def wait_settled(
    db: bench.Database, count: int, workers: subprocess.Popen[bytes], log_path: Path
) -> None:
    last_report = time.monotonic()

    def settled() -> bool:
        nonlocal last_report
        check_alive(workers, log_path)
        with db.engine.connect() as conn:
            done = int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM submissions WHERE CAST(status AS text) = ANY(:s)"
                    ),
                    {"s": list(SETTLED)},
                ).scalar_one()
            )
        if time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
            bench.progress(f"pipeline: {done:,} of {count:,} settled")
            last_report = time.monotonic()
        return done >= count

    bench.wait_for(
        settled,
        timeout=SETTLE_ALLOWANCE_SECONDS + count / SETTLE_MIN_RATE_PER_SECOND,
        what=f"{count} submissions graded",
        poll_seconds=SETTLE_POLL_SECONDS,
    )


if __name__ == "__main__":
    bench.run_main(main)
