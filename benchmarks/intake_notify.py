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
import random
import re
import statistics
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from psycopg.types.json import Json

from benchmarks import common as bench
from benchmarks.relay_thread import relay_thread
from db.intake import submit_in_new_transaction
from db.session import make_engine, make_session_factory
from devtools.demo_data import DemoQuestion, create_demo_content, demo_answer
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
PRODUCER_KINDS = ("python", "sql")
CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "producer-contract.md"


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


# --- producer processes -------------------------------------------------------------------


def contract_statements() -> list[str]:
    """The statements of docs/producer-contract.md's transaction, psql variables turned
    into psycopg parameters (``:'name'`` -> ``%(name)s``)."""
    text = CONTRACT.read_text(encoding="utf-8")
    _, marker, after = text.partition("<!-- intake-sql")
    block = re.search(r"^```sql\n(.*?)^```", after, flags=re.S | re.M)
    if not marker or block is None:
        raise bench.BenchmarkError(f"{CONTRACT} lost its intake-sql block")
    body = block.group(1)
    if "%" in body:
        raise bench.BenchmarkError("the contract's SQL has a '%', which psycopg would read")
    body = re.sub(r":'(\w+)'", r"%(\1)s", body)
    statements = [part.strip() for part in body.split(";\n") if part.strip()]
    # Without BEGIN and COMMIT: the connection's transaction does that.
    return [s for s in statements if s.rstrip(";").upper() not in ("BEGIN", "COMMIT")]


def produce(
    database_url: str,
    learners: Sequence[tuple[uuid.UUID, float]],
    questions: Sequence[DemoQuestion],
    statements: Sequence[str],
    index: int,
    orders: multiprocessing.Queue[tuple[str, float, float] | None],
    counts: multiprocessing.Queue[int],
    *,
    ready: EventType,
) -> None:
    """A producer process: run each order (kind, start, stop) and report its commits."""
    engine = make_engine(database_url, pool_size=1, application_name="vstep-bench producer")
    factory = make_session_factory(engine)
    conn = psycopg.connect(database_url)
    rng = random.Random(index)
    with engine.connect() as warm:
        warm.execute(sa.text("SELECT 1"))
    ready.set()
    try:
        while (order := orders.get()) is not None:
            kind, start_at, stop_at = order
            time.sleep(max(0.0, start_at - time.time()))  # the agreed start, not a wait on a result
            commits = 0
            while time.time() < stop_at:
                learner_id, ability = rng.choice(learners)
                question = rng.choice(questions)
                answer = demo_answer(rng, question, ability)
                if kind == "python":
                    submit_in_new_transaction(
                        factory,
                        request_id=uuid.uuid4(),
                        user_id=learner_id,
                        question_id=question.id,
                        answer=answer,
                    )
                else:
                    contract_intake(conn, statements, learner_id, question.id, answer)
                commits += 1
            counts.put(commits)
    finally:
        conn.close()
        engine.dispose()


def contract_intake(
    conn: psycopg.Connection[Any],
    statements: Sequence[str],
    user_id: uuid.UUID,
    question_id: uuid.UUID,
    answer: dict[str, Any],
) -> None:
    params = {
        "request_id": str(uuid.uuid4()),
        "user_id": str(user_id),
        "question_id": str(question_id),
        "answer": Json(answer),
        "attempt": "1",
        "trace_id": "",
    }
    with conn.transaction():
        for statement in statements:
            conn.execute(statement, params)


# --- output -------------------------------------------------------------------------------


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


if __name__ == "__main__":
    bench.run_main(main)
