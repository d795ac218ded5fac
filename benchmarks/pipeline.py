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
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
import sqlalchemy as sa

from benchmarks import common as bench
from benchmarks.hand_grading import grade_by_hand
from benchmarks.hand_intake import intake_by_hand
from benchmarks.relay_thread import relay_thread
from benchmarks.workload import Fixtures, Planned, create_fixtures, plan_workload, workload_parser
from db.intake import submit_for_grading
from domain.answers import validate_answer
from workers.relay import RelaySettings

DEFAULT_SUBMISSIONS = 5_000
DEFAULT_LEARNERS = 500
DEFAULT_PRODUCER_THREADS = 4
DEFAULT_INTAKE_BATCH = 1
# processes x threads of `vstep-grading worker`; 2x8 is the Procfile's line.
DEFAULT_SETTINGS = ("1x4", "1x16", "2x8")
WORKLOAD_SEED = 20240601
# Statuses a submission ends in.
SETTLED = ("completed", "failed", "review_pending")
WORKERS_READY_SECONDS = 60.0
WORKERS_STOP_SECONDS = 30.0
# Waiting for the last grade: the slowest rate worth reporting, plus a fixed allowance.
SETTLE_MIN_RATE_PER_SECOND = 10.0
SETTLE_ALLOWANCE_SECONDS = 120.0
SETTLE_POLL_SECONDS = 0.5
PROGRESS_EVERY_SECONDS = 10.0
LOG_TAIL_CHARS = 2000


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


def parse_setting(text: str) -> tuple[int, int]:
    processes, _, threads = text.partition("x")
    try:
        setting = int(processes), int(threads)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not PROCESSESxTHREADS") from None
    if min(setting) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: both counts must be positive")
    return setting


def add_worker_settings(parser: argparse.ArgumentParser, flag: str, default: Sequence[str]) -> None:
    """``flag``: the worker settings to run, each PROCESSESxTHREADS."""
    parser.add_argument(
        flag,
        nargs="+",
        type=parse_setting,
        default=[parse_setting(text) for text in default],
        help="worker processes x threads to run, e.g. 1x4 1x16 2x8",
    )


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


def start_workers(
    env: bench.BenchEnv, db: bench.Database, args: argparse.Namespace, log_path: Path
) -> subprocess.Popen[bytes]:
    """`vstep-grading worker` as deployed: separate processes use both cores, unlike threads
    sharing this process's GIL with the producers and the relay."""
    command = [
        str(Path(sys.executable).with_name("vstep-grading")),
        "worker",
        "--processes",
        str(args.worker_processes),
        "--threads",
        str(args.worker_threads),
    ]
    child_env = {
        **os.environ,
        "DATABASE_URL": db.libpq_url,
        "BROKER_URL": env.redis_url,
        "BROKER_NAMESPACE": env.namespace,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "warning",
    }
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command,
            env=child_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C here is handled by us, and the stop reaches
            # Dramatiq's worker processes too.
            start_new_session=True,
        )


def wait_workers_ready(
    env: bench.BenchEnv, workers: subprocess.Popen[bytes], processes: int, log_path: Path
) -> None:
    """Every worker process has fetched from Redis (each leaves a heartbeat there)."""
    client = redis.Redis.from_url(env.redis_url)

    def ready() -> bool:
        check_alive(workers, log_path)
        return int(client.zcard(f"{env.namespace}:__heartbeats__")) >= processes

    try:
        bench.wait_for(
            ready, timeout=WORKERS_READY_SECONDS, what=f"{processes} worker processes up"
        )
    finally:
        client.close()


def check_alive(workers: subprocess.Popen[bytes], log_path: Path) -> None:
    if workers.poll() is not None:
        tail = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        raise bench.BenchmarkError(f"the workers exited with {workers.returncode}: {tail}")


def stop_workers(workers: subprocess.Popen[bytes]) -> None:
    if workers.poll() is not None:
        return
    try:
        os.killpg(workers.pid, signal.SIGTERM)
        workers.wait(timeout=WORKERS_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(workers.pid, signal.SIGKILL)
        workers.wait()
    except ProcessLookupError:
        pass


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


# --- figures ------------------------------------------------------------------------------


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


if __name__ == "__main__":
    bench.run_main(main)
