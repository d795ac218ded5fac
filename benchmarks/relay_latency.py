"""The relay benchmark's latency half (benchmarks.relay): intake commits one submission at
a time while ``run_relay`` runs in a thread, once woken by LISTEN/NOTIFY and once by its
poll interval alone; how soon after commit each row is published."""

from __future__ import annotations

import argparse
import random
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from unittest import mock

import dramatiq
import sqlalchemy as sa

from benchmarks import common as bench
from benchmarks.relay_fixtures import Fixtures, reset
from db.intake import submit_in_new_transaction
from devtools.demo_data import demo_answer
from workers import relay_loop
from workers.relay import Relay, RelaySettings
from workers.relay_loop import OutboxListener, run_relay

# Rows committed and published before latency is recorded: connections, caches, JIT of plans.
LATENCY_WARMUP_ROWS = 20
# How long a run may take to publish what it was given before the benchmark gives up.
PUBLISH_TIMEOUT_SECONDS = 60.0
# How long a stopped relay thread gets to finish its batch.
RELAY_JOIN_SECONDS = 30.0


@dataclass(frozen=True)
class Latency:
    mode: str
    rate: float
    # Client clock after COMMIT returned -> outbox.published_at (seconds).
    after_commit: list[float]
    # outbox.created_at -> published_at, both in SQL (includes the intake transaction).
    in_sql: list[float]


class PollingOnlyListener(OutboxListener):
    """A listener never notified: the relay sees new rows only when its poll interval ends.

    run_relay builds its listener itself, so the benchmark swaps the class it looks up.
    """

    def wait(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False


def measure_latency(
    env: bench.BenchEnv,
    db: bench.Database,
    broker: dramatiq.Broker,
    fixtures: Fixtures,
    args: argparse.Namespace,
    *,
    polling_only: bool,
) -> Latency:
    """Commit rows one by one at a steady rate with run_relay running; per-row latencies."""
    mode = "polling only" if polling_only else "LISTEN/NOTIFY"
    reset(env, db)
    settings = RelaySettings()  # poll every 1 s in both modes, so only the wake-up differs
    relay = Relay(session_factory=db.session_factory, broker=broker, settings=settings)
    listener_class = PollingOnlyListener if polling_only else OutboxListener
    stop = threading.Event()
    rng = random.Random(1)
    with mock.patch.object(relay_loop, "OutboxListener", listener_class):
        thread = threading.Thread(
            target=run_relay,
            args=(relay,),
            kwargs={"database_url": db.libpq_url, "stop": stop},
            name=f"relay-{mode}",
            daemon=True,
        )
        thread.start()
        try:
            bench.progress(f"latency ({mode}): warming up")
            warmup = [submit_one(db, fixtures, rng)[0] for _ in range(LATENCY_WARMUP_ROWS)]
            wait_published(db, warmup)
            bench.progress(f"latency ({mode}): {args.latency_rows} rows at {args.latency_rate:g}/s")
            committed, seconds = submit_paced(db, fixtures, rng, args)
            wait_published(db, list(committed))
        finally:
            stop.set()
            thread.join(RELAY_JOIN_SECONDS)
    after_commit, in_sql = published_latencies(db, committed)
    return Latency(mode, bench.per_second(len(committed), seconds), after_commit, in_sql)


def submit_one(
    db: bench.Database, fixtures: Fixtures, rng: random.Random
) -> tuple[uuid.UUID, float]:
    """One intake in its own transaction; (outbox id, wall clock right after COMMIT)."""
    learner_id, ability = rng.choice(fixtures.learners)
    question = rng.choice(fixtures.questions)
    result = submit_in_new_transaction(
        db.session_factory,
        request_id=uuid.uuid4(),
        user_id=learner_id,
        question_id=question.id,
        answer=demo_answer(rng, question, ability),
    )
    committed_at = time.time()
    if result.outbox_id is None:
        raise bench.BenchmarkError(f"intake wrote no outbox row for {result.request_id}")
    return result.outbox_id, committed_at


def submit_paced(
    db: bench.Database, fixtures: Fixtures, rng: random.Random, args: argparse.Namespace
) -> tuple[dict[uuid.UUID, float], float]:
    """Commit ``latency_rows`` intakes on a fixed schedule (no drift); ids -> commit times."""
    interval = 1.0 / args.latency_rate
    committed: dict[uuid.UUID, float] = {}
    started = time.monotonic()
    for n in range(args.latency_rows):
        delay = started + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the producer, not waiting for a result
        outbox_id, committed_at = submit_one(db, fixtures, rng)
        committed[outbox_id] = committed_at
    return committed, time.monotonic() - started


def wait_published(db: bench.Database, ids: list[uuid.UUID]) -> None:
    def all_published() -> bool:
        with db.engine.connect() as conn:
            published = conn.execute(
                sa.text(
                    "SELECT count(*) FROM outbox WHERE id = ANY(:ids) AND status = 'published'"
                ),
                {"ids": ids},
            ).scalar_one()
        return bool(published == len(ids))

    bench.wait_for(
        all_published, timeout=PUBLISH_TIMEOUT_SECONDS, what=f"{len(ids)} rows published"
    )


def published_latencies(
    db: bench.Database, committed: dict[uuid.UUID, float]
) -> tuple[list[float], list[float]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, extract(epoch FROM published_at)::float8, "
                "extract(epoch FROM published_at - created_at)::float8 "
                "FROM outbox WHERE id = ANY(:ids)"
            ),
            {"ids": list(committed)},
        ).all()
    after_commit = [float(published) - committed[outbox_id] for outbox_id, published, _ in rows]
    in_sql = [float(seconds) for _, _, seconds in rows]
    return after_commit, in_sql


def print_latency(latencies: Sequence[Latency], rows: int) -> None:
    notify, polling = latencies
    bench.print_table(
        f"Latency: intake COMMIT -> outbox.published_at ({rows} rows, each its own transaction; "
        "lower is better)",
        ["relay woken by", "commits/s", "p50", "p99", "max", "created_at->published p50", "p99"],
        [
            [
                lat.mode,
                f"{lat.rate:.0f}",
                bench.fmt_ms(bench.percentile(lat.after_commit, 0.50)),
                bench.fmt_ms(bench.percentile(lat.after_commit, 0.99)),
                bench.fmt_ms(max(lat.after_commit)),
                bench.fmt_ms(bench.percentile(lat.in_sql, 0.50)),
                bench.fmt_ms(bench.percentile(lat.in_sql, 0.99)),
            ]
            for lat in latencies
        ],
    )
    ratio = bench.percentile(polling.after_commit, 0.50) / bench.percentile(
        notify.after_commit, 0.50
    )
    print(f"p50 polling only / p50 LISTEN/NOTIFY: {bench.fmt_ratio(ratio)}", flush=True)
