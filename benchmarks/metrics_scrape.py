"""How long a Prometheus scrape of `serve`'s /metrics takes against a large database.

    .venv/bin/python -m benchmarks.metrics_scrape [--submissions 10000000]
        [--events-per-submission 10] [--scrapes 100]

A database of its own is seeded with a year of history in bulk SQL
(``benchmarks/metrics_seed.py``), a real `vstep-grading serve` runs against it, and
``GET /metrics`` is timed ``--scrapes`` times, each past the collector's one-second
cache so that every one reads the database. Then each statement the scrape ran is shown
with ``EXPLAIN (ANALYZE, BUFFERS)``, and any sequential scan that is not a plain ``LIMIT``
of the first rows is reported. The baseline: the statements the collector ran before
(whole-table counts of submissions, events by kind, the completion latency histogram,
the outbox's outcomes), timed once each in the same run (``--skip-former`` leaves them out:
at full size they read the whole event log). The database is dropped at the end, unless
``--keep-database``; ``--reuse-database NAME`` measures one kept earlier and seeds nothing.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks import common as bench
from benchmarks.metrics_seed import SeedShape, seed
from db.metrics_queries import (
    ESTIMATE_OUTBOX,
    EXACT_COUNT_LIMIT,
    estimate_statements,
    metrics_bound_statements,
    planner_estimate,
    scrape_statements,
)
from db.session import make_engine, make_session_factory
from db.urls import libpq_url
from devtools.devenv import free_port
from workers.web.collector import CACHE_SECONDS

VSTEP = str(Path(sys.executable).with_name("vstep-grading"))
SERVE_START_SECONDS = 60.0
WARMUP_SCRAPES = 3

# What the collector ran before, one statement per family, as it was written then.
FORMER_STATEMENTS = {
    "submissions by status (whole table)": """
        SELECT status, count(*) FROM submissions WHERE deleted_at IS NULL GROUP BY status""",
    "events by kind (whole event log)": """
        SELECT kind, count(*) FROM submission_events
        WHERE kind IN ('completed', 'failed', 'retrying', 'review_requested', 'late_result',
                       'stale_result', 'redispatched')
        GROUP BY kind""",
    "completion latency histogram (every completed)": """
        SELECT skill, count(*), sum(extract(epoch FROM completed_at - created_at)),
               count(*) FILTER (WHERE completed_at - created_at <= interval '60 seconds')
        FROM submissions
        WHERE status = 'completed' AND completed_at IS NOT NULL AND deleted_at IS NULL
        GROUP BY skill""",
    "callback inbox (whole table)": "SELECT count(*) FROM processed_callbacks",
    "outbox by status and last hour (whole table)": """
        SELECT count(*) FILTER (WHERE status = 'pending'),
               count(*) FILTER (WHERE status = 'published'
                                AND published_at >= now() - interval '1 hour'),
               min(created_at) FILTER (WHERE status = 'pending')
        FROM outbox""",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000_000)
    parser.add_argument("--events-per-submission", type=int, default=10)
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--reuse-database", metavar="NAME")
    parser.add_argument("--skip-former", action="store_true")
    args = parser.parse_args()
    if args.submissions < 1 or args.events_per_submission < 0 or args.scrapes < 1:
        parser.error("--submissions and --scrapes must be at least 1, --events-per-submission 0")
    with bench.bench_environment("GET /metrics against a large database") as env:
        url = database(env, args)
        print_shape(url)
        timings = scrape_timings(env, url, args.scrapes)
        p50, p95 = bench.percentile(timings, 0.5), bench.percentile(timings, 0.95)
        bench.print_table(
            f"GET /metrics on a real serve, {len(timings)} scrapes, each reading the database",
            ["what", "p50", "p95", "max"],
            [["scrape", bench.fmt_ms(p50), bench.fmt_ms(p95), bench.fmt_ms(max(timings))]],
        )
        explain_scrape(url)
        if not args.skip_former:
            former = time_former(url)
            bench.print_table(
                "the statements the collector ran before, once each (no statement timeout)",
                ["statement", "time"],
                [[name, bench.fmt_ms(seconds)] for name, seconds in former.items()]
                + [["a scrape's worth", bench.fmt_ms(sum(former.values()))]],
            )
            before = sum(former.values())
            print(
                f"a scrape now, p50: {bench.fmt_ms(p50)}; before: {bench.fmt_ms(before)}; "
                f"{bench.fmt_ratio(before / p50)} faster",
                flush=True,
            )


def database(env: bench.BenchEnv, args: argparse.Namespace) -> str:
    """The libpq URL of the database to measure: seeded now, or the one named to reuse."""
    if args.reuse_database:
        return libpq_url(env.services.database_url(args.reuse_database))
    db = env.create_database("metrics")
    if args.keep_database:
        env.databases.remove(db)  # the cleanup drops only what is listed
        print(f"database kept: {db.name}", flush=True)
    db.engine.dispose()
    shape = SeedShape(args.submissions, args.events_per_submission)
    bench.progress(
        f"seeding {shape.submissions:,} submissions, "
        f"{shape.submissions * shape.events_per_submission:,} events"
    )
    started = time.monotonic()
    seed(db.libpq_url, shape, bench.progress)
    print(f"seeded in {time.monotonic() - started:,.0f} s", flush=True)
    return db.libpq_url


def print_shape(url: str) -> None:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT relname, reltuples::bigint, pg_size_pretty(pg_total_relation_size(oid))
            FROM pg_class
            WHERE relname IN ('submissions', 'submission_events', 'outbox', 'processed_callbacks')
            ORDER BY relname
            """
        ).fetchall()
    bench.print_table(
        "the database (rows as pg_class estimates them)",
        ["table", "rows", "size with indexes"],
        [[str(name), f"{n:,}", str(size)] for name, n, size in rows],
    )


@contextmanager
def running_serve(env: bench.BenchEnv, url: str) -> Iterator[str]:
    """`vstep-grading serve` on a free port against ``url``; its base URL."""
    port = free_port()
    child_env = {
        **os.environ,
        "DATABASE_URL": url,
        "BROKER_URL": env.redis_url,
        "BROKER_NAMESPACE": env.namespace,
        "CALLBACK_SECRET": secrets.token_hex(16),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "warning",
    }
    child_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = env.state_dir / "serve.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [VSTEP, "serve", "--port", str(port)],
            env=child_env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        bench.wait_for(
            lambda: answers(base) or process.poll() is not None,
            timeout=SERVE_START_SECONDS,
            what="serve answering /healthz",
        )
        if process.poll() is not None:
            raise bench.BenchmarkError(
                f"serve exited: {log_path.read_text(errors='replace')[-500:]}"
            )
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def scrape_timings(env: bench.BenchEnv, url: str, scrapes: int) -> list[float]:
    timings = []
    with running_serve(env, url) as base, httpx.Client(base_url=base, timeout=60) as client:
        last = -CACHE_SECONDS
        for n in range(WARMUP_SCRAPES + scrapes):
            # Past the collector's cache, so that every scrape reads the database.
            time.sleep(max(0.0, last + CACHE_SECONDS * 1.05 - time.monotonic()))
            last = time.monotonic()
            answer = client.get("/metrics")
            elapsed = time.monotonic() - last
            if answer.status_code != 200 or "vstep_database_up 1.0" not in answer.text:
                raise bench.BenchmarkError(
                    f"a scrape did not read the database: {answer.text[-300:]}"
                )
            if n >= WARMUP_SCRAPES:
                timings.append(elapsed)
    return timings


def explain_scrape(url: str) -> None:
    """EXPLAIN ANALYZE of every statement a scrape ran at this size; BenchmarkError on an
    unbounded sequential scan."""
    engine = make_engine(url, pool_size=1, application_name="vstep-bench explain")
    factory = make_session_factory(engine)
    found: list[str] = []
    try:
        with factory.begin() as session:
            metrics_bound_statements(session)  # as the scrape's transaction has them
            ran = statements_run(session)
            for name, (statement, params) in scrape_statements().items():
                if name not in ran:
                    print(f"-- {name}: not run at this size", flush=True)
                    continue
                # EXPLAIN of the scrape's own text, on the transaction's own connection
                # (its settings above hold): the benchmark reads the plan.
                driver: Any = session.connection().connection.driver_connection
                explained = driver.execute(
                    f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", params
                ).fetchone()
                plan = explained[0][0]["Plan"]
                text = [
                    row[0]
                    for row in driver.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
                ]
                print(f"-- {name}")
                print("\n".join(text), flush=True)
                found += [f"{name}: {scan}" for scan in unbounded_seq_scans(plan)]
            print("-- estimates (EXPLAIN only, no row read):")
            for name, explain, values in estimate_statements():
                print(f"   {name}: {planner_estimate(session, explain, values):,} rows")
            print(flush=True)
    finally:
        engine.dispose()
    if found:
        raise bench.BenchmarkError("a scrape scans a table: " + "; ".join(found))
    print(
        f"no statement of this scrape reads more than {EXACT_COUNT_LIMIT + 1:,} rows of a "
        "table in a sequential scan\n"
    )


def statements_run(session: Any) -> set[str]:
    """Which of ``scrape_statements()`` the collector runs at this database's size."""
    ran = {"submissions by status", "review backlog", "outbox backlog", "callback inbox"}
    if planner_estimate(session, ESTIMATE_OUTBOX) <= EXACT_COUNT_LIMIT:
        ran.add("outbox published and failed (small outbox only)")
    return ran


def unbounded_seq_scans(plan: dict[str, Any]) -> list[str]:
    """Sequential scans in an EXPLAIN ANALYZE plan that read more rows than a count may
    (a small table's one pass reads fewer)."""
    found = []
    if plan["Node Type"] == "Seq Scan":
        read = plan["Actual Rows"] * plan["Actual Loops"] + plan.get("Rows Removed by Filter", 0)
        if read > EXACT_COUNT_LIMIT + 1:
            found.append(f"Seq Scan on {plan.get('Relation Name')} read {read:,} rows")
    for child in plan.get("Plans", []):
        found += unbounded_seq_scans(child)
    return found


def time_former(url: str) -> dict[str, float]:
    timings = {}
    with psycopg.connect(url) as conn:
        for name, sql in FORMER_STATEMENTS.items():
            bench.progress(f"former statement: {name}")
            started = time.monotonic()
            conn.execute(sql.encode()).fetchall()
            timings[name] = time.monotonic() - started
    return timings


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    bench.run_main(main)
