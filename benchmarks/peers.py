"""Our objective grading against other PostgreSQL job queues doing the same writes.

    .venv/bin/python -m benchmarks.peers [--submissions 5000] [--concurrency 4 16]

Needs the optional 'peers' extra (``pip install -e '.[peers]'``); without it the run
says so in one line and exits 0.

One workload (benchmarks/workload.py: demo learners answering the six objective demo
questions), seeded in bulk into a fresh database for every run, before the clock:
- PgQueuer and Procrastinate (benchmarks/peer_queues.py), each job the hand-written
  grading writes (benchmarks/hand_grading.py), at each ``--concurrency`` (jobs in flight);
  the submissions are seeded queued, as the relay leaves them;
- ours: pending submissions with their grading.request outbox rows, ``run_relay`` in a
  thread and ``vstep-grading worker --processes P --threads T`` subprocesses (up and
  fetching before the clock), for each ``--ours PxT``;
- the hand loop: ``grade_by_hand`` one submission after the other on one connection, no
  queue at all.
Each run is timed from its start to the last ``completed_at``, and must end with every
submission completed with a score.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa

from benchmarks import common as bench
from benchmarks.hand_grading import grade_by_hand
from benchmarks.peer_queues import Drained, missing_libraries
from benchmarks.peers_figures import Run, print_results
from benchmarks.relay_thread import relay_thread
from benchmarks.worker_processes import (
    add_worker_settings,
    check_alive,
    start_workers,
    stop_workers,
    wait_workers_ready,
)
from benchmarks.workload import (
    Planned,
    analyze,
    create_fixtures,
    plan_workload,
    seed_submissions,
    workload_parser,
)
from devtools.demo_data import QUESTIONS, DemoQuestion

DEFAULT_SUBMISSIONS = 5_000
DEFAULT_LEARNERS = 500
DEFAULT_CONCURRENCY = (4, 16)
# Our worker settings: processes x threads.
DEFAULT_OURS = ("1x4", "1x16", "2x8")
WORKLOAD_SEED = 20240601
# Giving up on a run: the slowest rate worth reporting, plus a fixed allowance.
MIN_RATE_PER_SECOND = 5.0
ALLOWANCE_SECONDS = 120.0
POLL_SECONDS = 0.25


def main() -> None:
    args = parse_args()
    missing = missing_libraries()
    if missing:
        print(
            f"benchmarks.peers: skipped, not installed: {', '.join(missing)} "
            "(pip install -e '.[peers]')"
        )
        return
    from benchmarks.peer_queues import run_pgqueuer, run_procrastinate

    with bench.bench_environment("peers benchmark") as env:
        plan = plan_workload(
            WORKLOAD_SEED,
            learners=args.learners,
            questions=demo_questions(),
            count=args.submissions,
        )
        runs = [hand_loop(env, plan, args)]
        for concurrency in args.concurrency:
            runs.append(peer_run(env, plan, args, "PgQueuer (asyncpg)", run_pgqueuer, concurrency))
        for concurrency in args.concurrency:
            name = "Procrastinate (psycopg async)"
            runs.append(peer_run(env, plan, args, name, run_procrastinate, concurrency))
        for processes, threads in args.ours:
            runs.append(our_pipeline(env, plan, args, processes, threads))
        print_results(runs, args)


def parse_args() -> argparse.Namespace:
    parser = workload_parser("peers", __doc__, DEFAULT_SUBMISSIONS, DEFAULT_LEARNERS)
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=list(DEFAULT_CONCURRENCY),
        help="jobs in flight for each peer queue",
    )
    add_worker_settings(parser, "--ours", DEFAULT_OURS)
    args = parser.parse_args()
    if min(args.submissions, args.learners, *args.concurrency) < 1:
        parser.error("every count must be positive")
    return args


def demo_questions() -> list[DemoQuestion]:
    """The demo questions as the planner needs them (format and key, in the order every
    database gets them), before any database exists."""
    return [DemoQuestion(uuid.uuid4(), fmt, key) for fmt, (_content, key) in QUESTIONS.items()]


def prepare(
    env: bench.BenchEnv,
    tag: str,
    plan: Sequence[Planned],
    args: argparse.Namespace,
    *,
    queued: bool,
) -> tuple[bench.Database, list[uuid.UUID]]:
    """A fresh database holding the plan's submissions (queued, or pending with outbox rows)."""
    bench.progress(f"{tag}: creating and migrating a database, seeding {len(plan):,} submissions")
    db = env.create_database(tag)
    with db.session_factory.begin() as session:
        fixtures = create_fixtures(session, learners=args.learners)
    ids = seed_submissions(db.engine, fixtures, plan, queued=queued)
    analyze(db.engine)
    return db, ids


def timeout_for(count: int) -> float:
    return ALLOWANCE_SECONDS + count / MIN_RATE_PER_SECOND


def hand_loop(env: bench.BenchEnv, plan: Sequence[Planned], args: argparse.Namespace) -> Run:
    db, ids = prepare(env, "hand", plan, args, queued=True)
    try:
        bench.progress(f"hand loop: {len(ids):,} submissions, one connection")
        with psycopg.connect(db.libpq_url) as conn:
            busy = bench.machine_busy_seconds()
            started = time.time()
            for sid in ids:
                grade_by_hand(conn, sid)
            drained = time.time()
            busy = bench.machine_busy_seconds() - busy
        name = "hand loop (psycopg, 1 connection, no queue)"
        return finished(db, name, 1, started, drained, busy)
    finally:
        env.drop_database(db)


def peer_run(
    env: bench.BenchEnv,
    plan: Sequence[Planned],
    args: argparse.Namespace,
    name: str,
    runner: Callable[..., Coroutine[Any, Any, Drained]],
    concurrency: int,
) -> Run:
    tag = f"{name.split()[0].lower()}{concurrency}"
    db, ids = prepare(env, tag, plan, args, queued=True)
    try:
        bench.progress(f"{name}: {len(ids):,} jobs, {concurrency} in flight")
        busy = bench.machine_busy_seconds()
        try:
            times = asyncio.run(
                runner(db.libpq_url, ids, concurrency=concurrency, timeout=timeout_for(len(ids)))
            )
        except TimeoutError as exc:
            raise bench.BenchmarkError(f"{name} at {concurrency}: not drained in time") from exc
        busy = bench.machine_busy_seconds() - busy
        return finished(db, name, concurrency, times.started, times.drained, busy)
    finally:
        env.drop_database(db)


def our_pipeline(
    env: bench.BenchEnv,
    plan: Sequence[Planned],
    args: argparse.Namespace,
    processes: int,
    threads: int,
) -> Run:
    name = f"ours: relay + worker {processes}x{threads}"
    db, ids = prepare(env, f"ours{processes}x{threads}", plan, args, queued=False)
    env.flush_namespace()  # no heartbeat of an earlier run's workers may count as ready
    log_path = env.state_dir / f"workers-{processes}x{threads}.log"
    settings = argparse.Namespace(worker_processes=processes, worker_threads=threads)
    workers = start_workers(env, db, settings, log_path)

    def all_settled() -> bool:
        check_alive(workers, log_path)
        return settled(db) >= len(ids)

    try:
        with relay_thread(env, db) as relay:
            wait_workers_ready(env, workers, processes, log_path)
            bench.progress(f"{name}: {len(ids):,} submissions")
            busy = bench.machine_busy_seconds()
            started = time.time()
            relay.start()
            bench.wait_for(
                all_settled,
                timeout=timeout_for(len(ids)),
                what=f"{name}: {len(ids)} submissions settled",
                poll_seconds=POLL_SECONDS,
            )
            drained = time.time()
            busy = bench.machine_busy_seconds() - busy
    finally:
        stop_workers(workers)
    try:
        return finished(db, name, processes * threads, started, drained, busy)
    finally:
        env.drop_database(db)


def settled(db: bench.Database) -> int:
    """Submissions in a final state (or waiting for a person): ``finished`` checks which."""
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM submissions "
                    "WHERE status IN ('completed', 'failed', 'review_pending')"
                )
            ).scalar_one()
        )


def finished(
    db: bench.Database, name: str, in_flight: int, started: float, drained: float, busy: float
) -> Run:
    """The run's figures, once every submission is checked completed with a score."""
    with db.engine.connect() as conn:
        total, graded, last = conn.execute(
            sa.text(
                "SELECT count(*), count(*) FILTER (WHERE status = 'completed' "
                "AND score IS NOT NULL), extract(epoch FROM max(completed_at))::float8 "
                "FROM submissions"
            )
        ).one()
    if graded != total:
        raise bench.BenchmarkError(
            f"{name} at {in_flight}: {graded} of {total} completed with a score"
        )
    return Run(name, in_flight, started, float(last), drained, int(total), busy)


if __name__ == "__main__":
    bench.run_main(main)
