"""What both benchmarks share: their own database(s) and Redis namespace, timing and output.

Every database is created under a unique name (``vstep_bench_<run>_<tag>``) on the server
``resolve_services`` finds, migrated, and dropped at the end; every Redis key lives under
``vstep-bench-<run>:`` and is deleted at the end. Cleanup runs on errors, Ctrl-C and
SIGTERM too; nothing else on either server is touched.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import psycopg
import redis
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from db.migrate import upgrade
from db.session import make_engine, make_session_factory
from db.urls import libpq_url
from devtools.devenv import Services, resolve_services
from workers.logging import configure_logging

# How often wait_for looks at its condition.
WAIT_POLL_SECONDS = 0.05
# Exit status after Ctrl-C or SIGTERM, as a shell reports a SIGINT death.
INTERRUPTED_EXIT = 130
# How long a stopped relay thread gets to finish its pass.
RELAY_JOIN_SECONDS = 30.0


class BenchmarkError(RuntimeError):
    """The benchmark could not measure what it set out to (not a slow result: a broken run)."""


@dataclass
class Database:
    """A migrated database of this run's own, with an engine on it."""

    name: str
    url: URL
    engine: Engine
    session_factory: sessionmaker[Session]

    @property
    def libpq_url(self) -> str:
        return libpq_url(self.url)


@dataclass
class BenchEnv:
    services: Services
    run_id: str
    state_dir: Path
    databases: list[Database] = field(default_factory=list)

    @property
    def redis_url(self) -> str:
        return self.services.redis_url

    @property
    def namespace(self) -> str:
        """The Redis key prefix (Dramatiq namespace) of this run."""
        return f"vstep-bench-{self.run_id}"

    def create_database(self, tag: str, *, pool_size: int = 5) -> Database:
        name = f"vstep_bench_{self.run_id}_{tag}"
        self._admin(f'CREATE DATABASE "{name}"')
        url = self.services.database_url(name)
        engine = make_engine(url, pool_size=pool_size, application_name="vstep-bench")
        database = Database(name, url, engine, make_session_factory(engine))
        self.databases.append(database)
        upgrade(url)
        return database

    def drop_database(self, database: Database) -> None:
        database.engine.dispose()
        # FORCE: a connection a stopped thread left behind must not keep the database alive.
        self._admin(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
        if database in self.databases:
            self.databases.remove(database)

    def flush_namespace(self) -> int:
        """Delete every Redis key of this run; returns how many there were."""
        client = redis.Redis.from_url(self.redis_url)
        deleted = 0
        try:
            for key in client.scan_iter(match=f"{self.namespace}:*", count=1000):
                deleted += int(client.delete(key))
        finally:
            client.close()
        return deleted

    def server_facts(self) -> dict[str, str]:
        """What a reader needs to compare runs: the servers' versions and durability settings."""
        with psycopg.connect(libpq_url(self.services.postgres_admin_url)) as conn:
            rows = conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (["server_version", "fsync", "synchronous_commit", "shared_buffers"],),
            ).fetchall()
        facts = {str(name): str(setting) for name, setting in rows}
        client = redis.Redis.from_url(self.redis_url)
        try:
            facts["redis_version"] = str(client.info("server").get("redis_version", "?"))
        finally:
            client.close()
        return facts

    def cleanup(self) -> None:
        for database in list(self.databases):
            self.drop_database(database)
        self.flush_namespace()
        self.services.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(libpq_url(self.services.postgres_admin_url), autocommit=True) as conn:
            # Only names this module generated go into these statements.
            conn.execute(sql.encode())


@contextmanager
def bench_environment(title: str) -> Iterator[BenchEnv]:
    """Servers found (or embedded ones started), the run's header printed under ``title``,
    and everything this run made removed after."""
    # Warnings only: the relay logs a line per batch and workers one per submission at info,
    # which would flood the figures; both sides of every ratio run with the same setting.
    configure_logging("json", "warning")
    run_id = uuid.uuid4().hex[:10]
    state_dir = Path(tempfile.mkdtemp(prefix=f"vstep-bench-{run_id}-"))
    env = BenchEnv(resolve_services(state_dir), run_id, state_dir)
    try:
        print_header(title, env)
        yield env
    finally:
        with sigint_ignored():
            env.cleanup()


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """A second Ctrl-C must not cut the cleanup short and leave a database behind."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_main(main: Callable[[], None]) -> None:
    """Run a benchmark: SIGTERM unwinds like Ctrl-C; a broken run prints one line, exits 1."""

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the benchmark's databases and Redis keys were removed", file=sys.stderr)
        sys.exit(INTERRUPTED_EXIT)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        sys.exit(1)


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    poll_seconds: float = WAIT_POLL_SECONDS,
) -> None:
    """Return once ``condition()`` holds; BenchmarkError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise BenchmarkError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(poll_seconds)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile, interpolated between the two nearest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def machine_busy_seconds() -> float:
    """CPU seconds all cores of this machine have spent busy since boot (Linux ``/proc/stat``).

    Every process counts: PostgreSQL's backends, Redis, the workers, the benchmark itself.
    The difference over a run, per submission, says what one costs the whole machine, and
    cores / that cost is the most the machine could do, however the work is spread.
    NaN where ``/proc/stat`` is not there.
    """
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return math.nan
    # user nice system idle iowait irq softirq steal: everything but idle and iowait.
    ticks = [int(value) for value in first[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.inf


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}/s"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def print_header(title: str, env: BenchEnv) -> None:
    facts = env.server_facts()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"== {title} ==")
    print(
        f"machine: {os.cpu_count()} cores, load average {load}; "
        f"PostgreSQL {facts.get('server_version', '?')} (fsync={facts.get('fsync', '?')}, "
        f"synchronous_commit={facts.get('synchronous_commit', '?')}); "
        f"Redis {facts.get('redis_version', '?')}"
    )
    for line in env.services.embedded:
        print(f"embedded server started: {line}")
    print(flush=True)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain-text table: first column left-aligned, the figures right-aligned."""
    widths = [
        max(len(headers[i]), *(len(row[i]) for row in rows)) if rows else len(headers[i])
        for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    print(title)
    print(line(headers))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))
    print(flush=True)


def progress(message: str) -> None:
    """A line on stderr while a long step runs, so stdout holds only the figures."""
    print(f"... {message}", file=sys.stderr, flush=True)
