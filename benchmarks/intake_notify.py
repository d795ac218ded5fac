"""What the outbox trigger's NOTIFY costs producers that commit concurrently.

    .venv/bin/python -m benchmarks.intake_notify [--producers 8] [--seconds 10] [--rounds 2]

A transaction that has sent NOTIFY takes one database-wide lock at commit and holds it
through its WAL flush, so notifying commits happen one at a time. ``--producers``
processes commit single-submission intakes for ``--seconds`` while ``run_relay`` runs in
a thread, once per trigger function:

- every insert: migration 0003's function (put back by migration 0005's downgrade step),
- only while a relay idles: migration 0005's (head),
- none: head with the insert trigger disabled (the relay wakes by polling alone).

Two kinds of producer: our Python intake (``submit_in_new_transaction``) and the SQL of
docs/producer-contract.md, as producers in other languages run it. Modes alternate within
each round; a run starts from empty tables and a flushed Redis namespace.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import queue
import threading
import time
import uuid

import psycopg
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from benchmarks import common as bench
from benchmarks.intake_notify_figures import MODES, Mode, Run, print_results
from benchmarks.intake_producers import PRODUCER_KINDS, contract_statements, produce
from benchmarks.relay_thread import relay_thread
from devtools.demo_data import DemoQuestion, create_demo_content
from workers.relay_loop import OUTBOX_CHANNEL

DEFAULT_PRODUCERS = 8
DEFAULT_SECONDS = 10.0
DEFAULT_ROUNDS = 2
LEARNERS = 25
# The migration that made the trigger notify only while a relay idles; its downgrade
# puts back 0003's function, which notifies on every insert.
NOTIFY_WHEN_IDLE = importlib.import_module("migrations.versions.0005_outbox_notify_when_idle")
# How long the relay may take to publish a run's rows before the benchmark gives up.
PUBLISH_TIMEOUT_SECONDS = 120.0
# How long producer processes get to start (imports, connections) before the first run.
PRODUCERS_READY_SECONDS = 120.0
# Between the order to run and its start: every producer has read the order by then.
START_DELAY_SECONDS = 0.5
# How often the counting listener looks at its stop flag.
LISTEN_STEP_SECONDS = 0.1


def main() -> None:
    args = parse_args()
    with bench.bench_environment("intake NOTIFY benchmark") as env:
        db = env.create_database("notify")
        with db.session_factory.begin() as session:
            learners, questions = create_demo_content(session, learners=LEARNERS)
        runs = measure(env, db, args, learners, questions)
        print_results(runs, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.intake_notify", description=__doc__)
    parser.add_argument("--producers", type=int, default=DEFAULT_PRODUCERS)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--kinds", nargs="+", choices=PRODUCER_KINDS, default=list(PRODUCER_KINDS))
    args = parser.parse_args()
    if args.producers < 1 or args.seconds <= 0 or args.rounds < 1:
        parser.error("--producers, --seconds and --rounds must be positive")
    return args


def measure(
    env: bench.BenchEnv,
    db: bench.Database,
    args: argparse.Namespace,
    learners: list[tuple[uuid.UUID, float]],
    questions: list[DemoQuestion],
) -> list[Run]:
    # Spawned, not forked: the parent runs the relay's threads and connections.
    context = multiprocessing.get_context("spawn")
    orders: multiprocessing.Queue[tuple[str, float, float] | None] = context.Queue()
    counts: multiprocessing.Queue[int] = context.Queue()
    ready = [context.Event() for _ in range(args.producers)]
    producers = [
        context.Process(
            target=produce,
            args=(db.libpq_url, learners, questions, contract_statements(), n, orders, counts),
            kwargs={"ready": ready[n]},
            name=f"producer-{n}",
            daemon=True,
        )
        for n in range(args.producers)
    ]
    for process in producers:
        process.start()
    runs: list[Run] = []
    try:
        with relay_thread(env, db) as relay:
            bench.progress(f"starting {args.producers} producer processes")
            for event in ready:
                if not event.wait(PRODUCERS_READY_SECONDS):
                    raise bench.BenchmarkError("a producer process did not start")
            relay.start()
            for round_number in range(args.rounds):
                for kind in args.kinds:
                    for mode in MODES:
                        bench.progress(f"round {round_number + 1}: {kind} producers, {mode.label}")
                        runs.append(one_run(env, db, args, kind, mode, orders, counts))
    finally:
        for _ in producers:
            orders.put(None)
        for process in producers:
            process.join(bench.RELAY_JOIN_SECONDS)
            if process.is_alive():
                process.kill()
    return runs


def one_run(
    env: bench.BenchEnv,
    db: bench.Database,
    args: argparse.Namespace,
    kind: str,
    mode: Mode,
    orders: multiprocessing.Queue[tuple[str, float, float] | None],
    counts: multiprocessing.Queue[int],
) -> Run:
    set_mode(db, mode)
    with db.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE submissions CASCADE"))
    env.flush_namespace()
    start_at = time.time() + START_DELAY_SECONDS
    stop_at = start_at + args.seconds
    with NotifyCounter(db.libpq_url) as counter:
        for _ in range(args.producers):
            orders.put((kind, start_at, stop_at))
        try:
            commits = sum(
                counts.get(timeout=args.seconds + PRODUCERS_READY_SECONDS)
                for _ in range(args.producers)
            )
        except queue.Empty:
            raise bench.BenchmarkError("a producer process did not report its commits") from None
    wait_all_published(db)
    return Run(kind, mode.name, commits, args.seconds, counter.count, published_latencies(db))


class NotifyCounter:
    """A LISTEN connection that counts what it hears (it never registers as an idle relay,
    so it changes no producer's choice to notify)."""

    def __init__(self, database_url: str) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
        self.count = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.listen, name="notify-counter", daemon=True)

    def listen(self) -> None:
        while not self.stop.is_set():
            for _ in self.conn.notifies(timeout=LISTEN_STEP_SECONDS):
                self.count += 1

    def __enter__(self) -> NotifyCounter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # The last notifications of the run arrive with its last commits.
        self.stop.set()
        self.thread.join(bench.RELAY_JOIN_SECONDS)
        self.conn.close()


def set_mode(db: bench.Database, mode: Mode) -> None:
    """The trigger function of ``mode``: migration 0005's own steps change it, both ways.

    Only that migration's: a downgrade below it would also drop what later migrations made
    (the intake functions of 0007, which both kinds of producer call).
    """
    step = NOTIFY_WHEN_IDLE.downgrade if mode.name == "every" else NOTIFY_WHEN_IDLE.upgrade
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        step()
    state = "DISABLE" if mode.name == "none" else "ENABLE"
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE outbox {state} TRIGGER outbox_notify_insert"))


def wait_all_published(db: bench.Database) -> None:
    def published() -> bool:
        with db.engine.connect() as conn:
            left = conn.execute(
                sa.text("SELECT count(*) FROM outbox WHERE status <> 'published'")
            ).scalar_one()
        return bool(left == 0)

    bench.wait_for(
        published, timeout=PUBLISH_TIMEOUT_SECONDS, what="every row of the run published"
    )


def published_latencies(db: bench.Database) -> list[float]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT extract(epoch FROM published_at - created_at)::float8 FROM outbox")
        ).scalars()
        return [float(seconds) for seconds in rows]


if __name__ == "__main__":
    bench.run_main(main)
