"""How fast the relay moves outbox rows to Redis, and how soon after commit a row is published.

    .venv/bin/python -m benchmarks.relay [--rows 10000 100000] [--batch-sizes 200 1000]

Throughput: N pending rows seeded in bulk, then ``Relay.run_once`` in a loop until a pass
claims nothing, against the bare broker (the same messages, built by the same
``Relay.message_for``, enqueued one by one with no database) run just before it.
Latency: intake commits one submission at a time while ``run_relay`` runs in a thread,
once woken by LISTEN/NOTIFY and once by its poll interval alone.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dramatiq
import redis
import sqlalchemy as sa

from benchmarks import common as bench
from benchmarks.relay_fixtures import Fixtures, reset
from benchmarks.relay_latency import measure_latency, print_latency
from db.models import OutboxRow, Question, Submission
from db.outbox import ClaimedRow
from devtools.demo_data import create_demo_content, demo_answer
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from workers.broker import make_broker
from workers.relay import Relay, RelaySettings

DEFAULT_ROWS = (10_000, 100_000)
DEFAULT_BATCH_SIZES = (RelaySettings().batch_size, 1000)
DEFAULT_LATENCY_ROWS = 300
# Intake commits per second while latency is measured.
DEFAULT_LATENCY_RATE = 100.0
LEARNERS = 25

# N pending submissions with their details, 'submitted' event and outbox row, in one
# statement; the rows are those intake writes (same payload keys, sizes and trace ids).
SEED_SQL = sa.text(
    """
    WITH s AS (
        INSERT INTO submissions (user_id, question_id, skill, request_id, deadline)
        SELECT :user_id, :question_id, 'reading', gen_random_uuid(),
               now() + interval '30 minutes'
        FROM generate_series(1, :count)
        RETURNING id, user_id, request_id, deadline, md5(id::text) AS trace_id
    ), d AS (
        INSERT INTO submission_details (submission_id, answer)
        SELECT id, CAST(:answer AS jsonb) FROM s
    ), e AS (
        INSERT INTO submission_events (submission_id, kind, data)
        SELECT id, 'submitted', jsonb_build_object(
            'requestId', request_id, 'attempt', 1, 'traceId', trace_id,
            'questionId', CAST(:question_id AS text))
        FROM s
    )
    INSERT INTO outbox (submission_id, aggregate_type, aggregate_id, message_type, payload,
                        created_at)
    SELECT id, 'submission', id, :message_type,
           jsonb_build_object(
               'requestId', request_id, 'submissionId', id, 'userId', user_id,
               'skill', 'reading', 'attempt', 1,
               'deadline', to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               'traceId', trace_id),
           -- Distinct times, so the relay's oldest-first order is the insert order.
           clock_timestamp()
    FROM s
    """
)


@dataclass(frozen=True)
class Throughput:
    rows: int
    batch_size: int
    relay_seconds: float
    passes: int
    bare_seconds: float

    @property
    def relay_rate(self) -> float:
        return bench.per_second(self.rows, self.relay_seconds)

    @property
    def bare_rate(self) -> float:
        return bench.per_second(self.rows, self.bare_seconds)


def main() -> None:
    args = parse_args()
    with bench.bench_environment("relay benchmark") as env:
        broker = make_broker(env.redis_url, namespace=env.namespace)
        try:
            db = env.create_database("relay")
            with db.session_factory.begin() as session:
                learners, questions = create_demo_content(session, learners=LEARNERS)
            fixtures = Fixtures(learners, questions)
            results = [
                result
                for rows in args.rows
                for result in measure_throughput(env, db, broker, fixtures, rows, args.batch_sizes)
            ]
            print_throughput(results)
            latencies = [
                measure_latency(env, db, broker, fixtures, args, polling_only=False),
                measure_latency(env, db, broker, fixtures, args, polling_only=True),
            ]
            print_latency(latencies, args.latency_rows)
        finally:
            broker.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relay", description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS))
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(DEFAULT_BATCH_SIZES))
    parser.add_argument("--latency-rows", type=int, default=DEFAULT_LATENCY_ROWS)
    parser.add_argument(
        "--latency-rate", type=float, default=DEFAULT_LATENCY_RATE, help="commits per second"
    )
    args = parser.parse_args()
    if min(args.rows) < 1 or min(args.batch_sizes) < 1 or args.latency_rows < 1:
        parser.error("--rows, --batch-sizes and --latency-rows must be positive")
    return args


# --- throughput ---------------------------------------------------------------------------


def measure_throughput(
    env: bench.BenchEnv,
    db: bench.Database,
    broker: dramatiq.Broker,
    fixtures: Fixtures,
    rows: int,
    batch_sizes: Sequence[int],
) -> list[Throughput]:
    """Per batch size, a bare-broker run of ``rows`` messages and, right after it on the
    same seeded rows, a relay run: on a shared machine, each ratio compares two runs
    made back to back rather than one made minutes after the other."""
    results = []
    for batch_size in batch_sizes:
        reset(env, db)
        seed(db, fixtures, rows)
        claimed = load_pending(db)
        bench.progress(f"bare broker: enqueueing {rows:,} messages")
        bare_seconds = time_bare_broker(broker, claimed)
        check_queue_length(env, rows)
        del claimed
        env.flush_namespace()  # the bare run touched no row: they are still pending
        bench.progress(f"relay: publishing {rows:,} rows, batch size {batch_size}")
        relay_seconds, passes = time_relay(db, broker, batch_size)
        check_all_published(db, rows)
        check_queue_length(env, rows)
        results.append(Throughput(rows, batch_size, relay_seconds, passes, bare_seconds))
    reset(env, db)
    return results


def seed(db: bench.Database, fixtures: Fixtures, count: int) -> None:
    question = fixtures.reading_mcq
    learner_id, ability = fixtures.learners[0]
    answer = demo_answer(random.Random(0), question, ability)
    bench.progress(f"seeding {count:,} pending outbox rows")
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            SEED_SQL,
            {
                "user_id": learner_id,
                "question_id": question.id,
                "count": count,
                "answer": json.dumps(answer),
                "message_type": MESSAGE_TYPE_GRADING_REQUEST,
            },
        )
    # Fresh statistics, so every run claims with the same plan.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE submissions, submission_events, outbox"))
    bench.progress(f"seeded in {time.perf_counter() - started:.1f} s")


def load_pending(db: bench.Database) -> list[ClaimedRow]:
    """The seeded rows as the relay's claim returns them, for the bare broker to send."""
    with db.session_factory() as session:
        rows = session.execute(
            sa.select(
                OutboxRow.id,
                OutboxRow.submission_id,
                OutboxRow.message_type,
                OutboxRow.payload,
                OutboxRow.attempts,
                OutboxRow.created_at,
                Submission.request_id,
                Submission.user_id,
                Submission.skill,
                Question.skill.label("question_skill"),
            )
            .join(Submission, Submission.id == OutboxRow.submission_id)
            .join(Question, Question.id == Submission.question_id)
            .order_by(OutboxRow.created_at)
        )
        return [ClaimedRow.from_row(row) for row in rows]


def time_bare_broker(broker: dramatiq.Broker, claimed: Sequence[ClaimedRow]) -> float:
    """Seconds to build and enqueue every message exactly as the relay does, no database."""
    broker.client.ping()  # connect before the clock starts, as the relay's pool has
    started = time.perf_counter()
    for row in claimed:
        broker.enqueue(Relay.message_for(row))
    return time.perf_counter() - started


def time_relay(db: bench.Database, broker: dramatiq.Broker, batch_size: int) -> tuple[float, int]:
    """Seconds (and passes) for run_once, called until a pass claims nothing."""
    relay = Relay(
        session_factory=db.session_factory,
        broker=broker,
        settings=RelaySettings(batch_size=batch_size),
        relay_id=f"bench-relay-{batch_size}",
    )
    with db.engine.connect() as conn:  # a pooled connection, as a running relay has
        conn.execute(sa.text("SELECT 1"))
    broker.client.ping()
    passes = 0
    started = time.perf_counter()
    while relay.run_once() > 0:
        passes += 1
    return time.perf_counter() - started, passes


def check_all_published(db: bench.Database, rows: int) -> None:
    with db.engine.connect() as conn:
        published = conn.execute(
            sa.text("SELECT count(*) FROM outbox WHERE status = 'published'")
        ).scalar_one()
    if published != rows:
        raise bench.BenchmarkError(f"the relay published {published} of {rows} rows")


def check_queue_length(env: bench.BenchEnv, rows: int) -> None:
    client = redis.Redis.from_url(env.redis_url)
    try:
        queued = int(client.llen(f"{env.namespace}:{MESSAGE_TYPE_GRADING_REQUEST}"))
    finally:
        client.close()
    if queued != rows:
        raise bench.BenchmarkError(f"Redis holds {queued} messages, expected {rows}")


def print_throughput(results: Sequence[Throughput]) -> None:
    bench.print_table(
        "Throughput: pending outbox rows -> Redis (rows per second, higher is better)",
        ["rows", "batch", "relay", "bare broker", "relay/bare", "relay passes", "relay time"],
        [
            [
                f"{r.rows:,}",
                str(r.batch_size),
                bench.fmt_rate(r.relay_rate),
                bench.fmt_rate(r.bare_rate),
                bench.fmt_ratio(r.relay_rate / r.bare_rate),
                f"{r.passes:,}",
                f"{r.relay_seconds:.1f} s",
            ]
            for r in results
        ],
    )


if __name__ == "__main__":
    bench.run_main(main)
