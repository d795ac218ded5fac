"""Objective submissions end to end: intake -> outbox -> relay -> Redis -> grading workers.

    .venv/bin/python -m benchmarks.pipeline [--submissions 10000]

Against, in the same run, a plain loop doing the same database work with no broker and no
relay: intake (the same ``submit_in_new_transaction``) then ``GradingService.grade`` in
process, one submission after the other. Each side gets a fresh database and the same
workload (learners, questions and answers from one seed).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from benchmarks.common import (
    BenchEnv,
    BenchmarkError,
    Database,
    bench_environment,
    fmt_ms,
    fmt_rate,
    fmt_ratio,
    per_second,
    percentile,
    print_header,
    print_table,
    progress,
    run_main,
    wait_for,
)
from db.intake import submit_for_grading
from db.models import OutboxRow
from db.session import make_engine, make_session_factory
from devtools.demo_data import DemoQuestion, create_demo_content, demo_answer
from domain.messages import parse_grading_request
from workers.actors import RetryPolicy
from workers.broker import make_broker
from workers.grading import Delivery, GradingService, Outcome
from workers.relay import Relay, RelaySettings
from workers.relay_loop import run_relay

DEFAULT_SUBMISSIONS = 10_000
DEFAULT_LEARNERS = 500
DEFAULT_PRODUCER_THREADS = 4
DEFAULT_INTAKE_BATCH = 1
# The Procfile's worker line.
DEFAULT_WORKER_PROCESSES = 2
DEFAULT_WORKER_THREADS = 8
WORKLOAD_SEED = 20240601
# Statuses a submission ends in.
SETTLED = ("completed", "failed", "review_pending")
WORKERS_READY_SECONDS = 60.0
WORKERS_STOP_SECONDS = 30.0
RELAY_JOIN_SECONDS = 30.0
# Waiting for the last grade: the slowest rate worth reporting, plus a fixed allowance.
SETTLE_MIN_RATE_PER_SECOND = 10.0
SETTLE_ALLOWANCE_SECONDS = 120.0
SETTLE_POLL_SECONDS = 0.5
PROGRESS_EVERY_SECONDS = 10.0
LOG_TAIL_CHARS = 2000


@dataclass(frozen=True)
class Planned:
    """One submission of the workload, by index into the learners and questions."""

    learner: int
    question: int
    answer: dict[str, Any]


@dataclass(frozen=True)
class Fixtures:
    learners: list[uuid.UUID]
    questions: list[DemoQuestion]


@dataclass(frozen=True)
class Outcomes:
    """What the database says happened, the same query for both sides."""

    statuses: dict[str, int]
    # First submissions.created_at -> last completed_at.
    span_seconds: float
    # created_at -> completed_at of each completed submission.
    latencies: list[float]
    # created_at -> outbox.published_at (empty for the baseline, which publishes nothing).
    to_published: list[float]
    # Wall time of the intake alone (the producers, or the baseline's intake calls).
    intake_seconds: float

    @property
    def completed(self) -> int:
        return self.statuses.get("completed", 0)

    @property
    def rate(self) -> float:
        return per_second(self.completed, self.span_seconds)


def main() -> None:
    args = parse_args()
    with bench_environment() as env:
        print_header("pipeline benchmark", env)
        rng = random.Random(WORKLOAD_SEED)
        abilities = [rng.uniform(0.35, 0.95) for _ in range(args.learners)]

        db, fixtures = prepare(env, "baseline", args)
        plan = plan_workload(rng, abilities, fixtures.questions, args.submissions)
        baseline = run_baseline(db, fixtures, plan, args.intake_batch)
        env.drop_database(db)

        db, fixtures = prepare(env, "pipeline", args)
        pipeline = run_pipeline(env, db, fixtures, plan, args)
        env.drop_database(db)
        print_results(baseline, pipeline, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline", description=__doc__)
    parser.add_argument("--submissions", type=int, default=DEFAULT_SUBMISSIONS)
    parser.add_argument("--learners", type=int, default=DEFAULT_LEARNERS)
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
        help="submissions per intake transaction (both sides)",
    )
    parser.add_argument("--worker-processes", type=int, default=DEFAULT_WORKER_PROCESSES)
    parser.add_argument("--worker-threads", type=int, default=DEFAULT_WORKER_THREADS)
    args = parser.parse_args()
    counts = (
        args.submissions,
        args.learners,
        args.producer_threads,
        args.intake_batch,
        args.worker_processes,
        args.worker_threads,
    )
    if min(counts) < 1:
        parser.error("every count must be positive")
    return args


def prepare(env: BenchEnv, tag: str, args: argparse.Namespace) -> tuple[Database, Fixtures]:
    progress(f"{tag}: creating and migrating a database, {args.learners} learners")
    db = env.create_database(tag, pool_size=args.producer_threads + 1)
    with db.session_factory.begin() as session:
        learners, questions = create_demo_content(session, learners=args.learners)
    return db, Fixtures([learner_id for learner_id, _ in learners], questions)


def plan_workload(
    rng: random.Random, abilities: Sequence[float], questions: Sequence[DemoQuestion], count: int
) -> list[Planned]:
    """Who answers what, and how: both sides submit exactly these answers."""
    plan = []
    for _ in range(count):
        learner = rng.randrange(len(abilities))
        question = rng.randrange(len(questions))
        answer = demo_answer(rng, questions[question], abilities[learner])
        plan.append(Planned(learner, question, answer))
    return plan


def submit_batch(db: Database, fixtures: Fixtures, items: Sequence[Planned]) -> list[uuid.UUID]:
    """Intake of ``items`` in one transaction (submit_for_grading each); their outbox ids."""
    outbox_ids = []
    with db.session_factory.begin() as session:
        for item in items:
            result = submit_for_grading(
                session,
                request_id=uuid.uuid4(),
                user_id=fixtures.learners[item.learner],
                question_id=fixtures.questions[item.question].id,
                answer=item.answer,
            )
            if result.outbox_id is None:
                raise BenchmarkError(f"intake wrote no outbox row for {result.request_id}")
            outbox_ids.append(result.outbox_id)
    return outbox_ids


def chunks(items: Sequence[Planned], size: int) -> list[Sequence[Planned]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# --- baseline -----------------------------------------------------------------------------


def run_baseline(
    db: Database, fixtures: Fixtures, plan: Sequence[Planned], intake_batch: int
) -> Outcomes:
    """Intake then grading, in process, one batch after the other: no relay, no broker."""
    service = GradingService(db.session_factory)
    max_retries = RetryPolicy().max_retries
    intake_seconds = 0.0
    progress(f"baseline: {len(plan):,} submissions, intake then grade, one after the other")
    for batch in chunks(plan, intake_batch):
        started = time.perf_counter()
        outbox_ids = submit_batch(db, fixtures, batch)
        intake_seconds += time.perf_counter() - started
        # The requests workers would get: built from the outbox payloads the relay would send.
        with db.session_factory() as session:
            rows = session.execute(
                sa.select(OutboxRow.id, OutboxRow.payload).where(OutboxRow.id.in_(outbox_ids))
            )
            payloads = {outbox_id: payload for outbox_id, payload in rows}
        for outbox_id in outbox_ids:
            delivery = Delivery(
                message_id=str(outbox_id),
                failures=0,
                max_retries=max_retries,
                worker_id="bench-baseline",
            )
            outcome = service.grade(parse_grading_request(payloads[outbox_id]), delivery).outcome
            if outcome is not Outcome.COMPLETED:
                raise BenchmarkError(f"baseline grading of {outbox_id} ended {outcome.value}")
    return outcomes(db, intake_seconds)


# --- pipeline -----------------------------------------------------------------------------


def run_pipeline(
    env: BenchEnv,
    db: Database,
    fixtures: Fixtures,
    plan: Sequence[Planned],
    args: argparse.Namespace,
) -> Outcomes:
    env.flush_namespace()
    log_path = env.state_dir / "workers.log"
    workers = start_workers(env, db, args, log_path)
    # The relay's own engine and broker, as its own process would have.
    relay_engine = make_engine(db.url, pool_size=2, application_name="vstep-bench relay")
    broker = make_broker(env.redis_url, namespace=env.namespace)
    relay = Relay(
        session_factory=make_session_factory(relay_engine), broker=broker, settings=RelaySettings()
    )
    stop = threading.Event()
    relay_thread = threading.Thread(
        target=run_relay,
        args=(relay,),
        kwargs={"database_url": db.libpq_url, "stop": stop},
        name="relay",
        daemon=True,
    )
    try:
        wait_workers_ready(env, workers, args.worker_processes, log_path)
        relay_thread.start()
        progress(f"pipeline: {len(plan):,} submissions from {args.producer_threads} intake threads")
        intake_seconds = produce(db, fixtures, plan, args.producer_threads, args.intake_batch)
        progress(f"pipeline: intake done in {intake_seconds:.1f} s, waiting for the grades")
        wait_settled(db, len(plan), workers, log_path)
    finally:
        stop.set()
        if relay_thread.is_alive():
            relay_thread.join(RELAY_JOIN_SECONDS)
        stop_workers(workers)
        broker.close()
        relay_engine.dispose()
    return outcomes(db, intake_seconds)


def start_workers(
    env: BenchEnv, db: Database, args: argparse.Namespace, log_path: Path
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
    env: BenchEnv, workers: subprocess.Popen[bytes], processes: int, log_path: Path
) -> None:
    """Every worker process has fetched from Redis (each leaves a heartbeat there)."""
    client = redis.Redis.from_url(env.redis_url)

    def ready() -> bool:
        check_alive(workers, log_path)
        return int(client.zcard(f"{env.namespace}:__heartbeats__")) >= processes

    try:
        wait_for(ready, timeout=WORKERS_READY_SECONDS, what=f"{processes} worker processes up")
    finally:
        client.close()


def check_alive(workers: subprocess.Popen[bytes], log_path: Path) -> None:
    if workers.poll() is not None:
        tail = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        raise BenchmarkError(f"the workers exited with {workers.returncode}: {tail}")


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
    db: Database, fixtures: Fixtures, plan: Sequence[Planned], threads: int, intake_batch: int
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
            thread.join(RELAY_JOIN_SECONDS)
    if errors:
        raise BenchmarkError(f"intake failed: {errors[0]!r}") from errors[0]
    return time.perf_counter() - started


def wait_settled(
    db: Database, count: int, workers: subprocess.Popen[bytes], log_path: Path
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
            progress(f"pipeline: {done:,} of {count:,} settled")
            last_report = time.monotonic()
        return done >= count

    wait_for(
        settled,
        timeout=SETTLE_ALLOWANCE_SECONDS + count / SETTLE_MIN_RATE_PER_SECOND,
        what=f"{count} submissions graded",
        poll_seconds=SETTLE_POLL_SECONDS,
    )


# --- figures ------------------------------------------------------------------------------


def outcomes(db: Database, intake_seconds: float) -> Outcomes:
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
    )


def print_results(baseline: Outcomes, pipeline: Outcomes, args: argparse.Namespace) -> None:
    n = args.submissions
    print(
        f"workload: {n:,} objective submissions (6 formats) from {args.learners} learners; "
        f"intake: submit_for_grading, {args.intake_batch} per transaction on both sides"
    )
    print(
        "baseline: one thread, intake then GradingService.grade per submission (no relay, "
        "no broker)"
    )
    print(
        f"pipeline: {args.producer_threads} intake threads + run_relay thread (batch "
        f"{RelaySettings().batch_size}, LISTEN/NOTIFY, poll {RelaySettings().poll_seconds:g} s) "
        f"+ `vstep-grading worker --processes {args.worker_processes} "
        f"--threads {args.worker_threads}`",
        end="\n\n",
    )
    rows = []
    for name, result in (("plain loop (baseline)", baseline), ("pipeline", pipeline)):
        rows.append(
            [
                name,
                f"{result.completed:,}",
                f"{result.span_seconds:.1f} s",
                fmt_rate(result.rate),
                fmt_ms(percentile(result.latencies, 0.50)),
                fmt_ms(percentile(result.latencies, 0.99)),
                fmt_rate(per_second(n, result.intake_seconds)),
            ]
        )
    print_table(
        "Graded submissions per second, first intake -> last completed_at (higher is better); "
        "latency created_at -> completed_at",
        ["run", "completed", "time", "graded/s", "p50", "p99", "intake/s"],
        rows,
    )
    if pipeline.to_published:
        print(
            "pipeline created_at -> outbox.published_at: "
            f"p50 {fmt_ms(percentile(pipeline.to_published, 0.50))}, "
            f"p99 {fmt_ms(percentile(pipeline.to_published, 0.99))}"
        )
    for name, result in (("baseline", baseline), ("pipeline", pipeline)):
        if result.completed != n:
            print(f"{name}: not every submission completed: {result.statuses}")
    print(
        f"ratio pipeline/baseline (graded/s): {fmt_ratio(pipeline.rate / baseline.rate)}",
        flush=True,
    )


if __name__ == "__main__":
    run_main(main)
