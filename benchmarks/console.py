"""Every console page timed at size: one million submissions with their events.

Seeds a database of its own (``console_seed.sql``: 1,000,000 submissions over 30 days,
four events each, details, the last 7 days' outbox rows, 5,000 exam sessions, 20,000
audit rows), starts ``vstep-grading console`` on it as a separate process, signs in as
an admin and loads every page ``ROUNDS`` times; prints p50 and p95 per page. The
overview is cached by the console (10 s), so its cold read is timed too, in-process:
what one reader pays every 10 s (the failed page's groups likewise).
Run: ``python -m benchmarks.console [submissions]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.orm import Session

from benchmarks import common as bench
from db.console_ops import failed_groups, overview_counts
from db.console_review import review_counts
from db.outbox_ops import outbox_stats
from db.supervision import submissions_stalled
from devtools.devenv import free_port
from workers.console.passwords import hash_password

SUBMISSIONS = 1_000_000
LEARNERS = 50_000
ROUNDS = 30
SEED_SQL = Path(__file__).with_name("console_seed.sql")
VSTEP = str(Path(sys.executable).with_name("vstep-grading"))


def _seed(url: str, submissions: int) -> None:
    admin_hash = hash_password("bench-admin-password")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (email, password_hash, role) VALUES (%s, %s, 'admin')",
            ("admin@bench.example", admin_hash),
        )
        conn.execute(
            "INSERT INTO users (email, password_hash) SELECT 'learner' || g || '@bench.example',"
            " 'no-login' FROM generate_series(1, %s) g",
            (LEARNERS,),
        )
        for fmt, skill in (
            ("writing_task_2", "writing"), ("writing_task_1", "writing"),
            ("speaking_part_2", "speaking"), ("reading_mcq", "reading"),
            ("listening_mcq", "listening"), ("reading_tng", "reading"),
        ):  # fmt: skip
            conn.execute(
                "INSERT INTO questions (skill, level, format, content) VALUES"
                " (CAST(%s AS skill), 'B2', CAST(%s AS question_format), %s)",
                (skill, fmt, '{"prompt": "Discuss both views and give your opinion."}'),
            )
        with conn.transaction():
            conn.execute(SEED_SQL.read_text().replace("{n}", str(submissions)).encode())


def _timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    call()  # warm: the first read of a page loads its templates and plans
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return bench.percentile(times, 0.5), bench.percentile(times, 0.95)


def _pages(client: httpx.Client, url: str) -> dict[str, str]:
    """Each page's path, with ids and cursors from the seeded data."""

    def first_link(path: str, prefix: str) -> str:
        page = client.get(path).text
        start = page.index(f'href="{prefix}') + len('href="')
        return page[start : page.index('"', start)].split("?")[0]

    item = first_link("/review", "/review/")
    sub = first_link("/ops/submissions?status=completed", "/ops/submissions/")
    page = client.get("/ops/submissions").text
    start = page.index("/ops/submissions?") + len("/ops/submissions?")
    older = page[start : page.index('"', start)].replace("&amp;", "&")
    return {
        "review queue": "/review",
        "review queue, writing, unclaimed": "/review?skill=writing&who=unclaimed",
        "review item": item,
        "overview (cached)": "/ops",
        "overview live numbers (cached)": "/ops/overview.json",
        "submissions, newest": "/ops/submissions",
        "submissions, second page": f"/ops/submissions?{older}",
        "submissions by status failed": "/ops/submissions?status=failed",
        "submissions by skill speaking": "/ops/submissions?skill=speaking",
        "submissions by learner email": "/ops/submissions?email=learner77@bench.example",
        "submissions in a date range": "/ops/submissions?from=2026-01-01&to=2099-01-01",
        "submissions by id": f"/ops/submissions?id={sub.rsplit('/', 1)[1]}",
        "submission timeline": sub,
        "failed and stuck": "/ops/failed",
        "outbox": "/ops/outbox",
        "exams": "/ops/exams",
        "audit": "/ops/audit",
    }


def main() -> None:
    submissions = int(sys.argv[1]) if len(sys.argv) > 1 else SUBMISSIONS
    with bench.bench_environment(f"console pages at {submissions:,} submissions") as env:
        database = env.create_database("console", pool_size=2)
        bench.progress(f"seeding {submissions:,} submissions with their events (minutes)")
        started = time.monotonic()
        _seed(database.libpq_url, submissions)
        bench.progress(f"seeded in {time.monotonic() - started:.0f} s")
        factory = database.session_factory
        cold: list[tuple[str, float, float]] = []

        def stuck(session: Session) -> object:
            return submissions_stalled(session, stall_seconds=120, limit=101, lock=False)

        reads: tuple[tuple[str, Callable[[Session], object]], ...] = (
            ("overview counts (status, backlog, last hour, failures)", overview_counts),
            ("outbox health", outbox_stats),
            ("stuck by the stall rule", stuck),
            ("failed submissions grouped by reason and error", failed_groups),
            ("review queue counts", review_counts),
        )
        for name, read in reads:

            def once(read: Callable[[Session], object] = read) -> None:
                with factory.begin() as session:
                    read(session)

            cold.append((name, *_timed(once, 5)))
        port = free_port()
        log = (env.state_dir / "console.log").open("wb")
        process = subprocess.Popen(
            [VSTEP, "console", "--port", str(port)],
            env={**os.environ, "DATABASE_URL": database.libpq_url, "LOG_FORMAT": "json",
                 "CONSOLE_SECRET": "bench"},
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            client = httpx.Client(base_url=url, timeout=60)

            def answers() -> bool:
                try:
                    return client.get("/sign-in").status_code == 200
                except httpx.TransportError:
                    return False

            bench.wait_for(answers, timeout=30, what="the console answering")
            signed = client.post(
                "/sign-in",
                data={"email": "admin@bench.example", "password": "bench-admin-password"},
            )
            if signed.status_code != 303:
                raise bench.BenchmarkError(f"sign-in answered {signed.status_code}")
            rows = []
            for name, path in _pages(client, url).items():
                answer = client.get(path)
                if answer.status_code != 200:
                    raise bench.BenchmarkError(f"{name} ({path}) answered {answer.status_code}")
                p50, p95 = _timed(partial(client.get, path), ROUNDS)
                rows.append((name, bench.fmt_ms(p50), bench.fmt_ms(p95)))
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
        bench.print_table(
            f"pages over HTTP, {ROUNDS} loads each after one warm-up",
            ("page", "p50", "p95"),
            rows,
        )
        bench.print_table(
            "the overview's reads on a cache miss (once per 10 s), 5 reads each",
            ("read", "p50", "p95"),
            [(name, bench.fmt_ms(p50), bench.fmt_ms(p95)) for name, p50, p95 in cold],
        )


if __name__ == "__main__":
    bench.run_main(main)
