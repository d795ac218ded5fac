"""Our grading writes run as jobs under two other PostgreSQL job queues (the 'peers' extra).

Each job grades one submission by hand (benchmarks/hand_grading.py), the floor of our
writes, so the figure is the queue's cost plus the same database work. The jobs are put
in the queue (one batch call) before the clock starts; each runner returns the wall
times at which its consumer started and at which it found the queue drained.

- PgQueuer, asyncpg driver: a ``PgQueuer`` on an asyncpg connection of its own; each job
  takes an asyncpg connection from a pool of ``concurrency`` and runs
  ``grade_by_hand_async``. At most ``concurrency`` jobs are picked at once
  (``max_concurrent_tasks``, with the largest batch it allows: half of that; for one job,
  the entrypoint's ``concurrency_limit``).
- Procrastinate, psycopg 3 async connector: an async task (its natural usage: the worker
  is asyncio; sync tasks run in threads, and its docs advise against concurrency with
  them) runs ``grade_by_hand_psycopg_async`` on a connection from a psycopg
  ``AsyncConnectionPool`` of ``concurrency``; ``run_worker_async(concurrency=...,
  wait=False)`` stops once the queue is empty. Its own pool gets a connection per
  concurrent job plus its listener's.

Both install their schema with their own installer, in our database, beside our tables.
Only this module imports the extra's libraries.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.hand_grading import grade_by_hand_async, grade_by_hand_psycopg_async

# The libraries of the 'peers' extra (psycopg_pool comes with procrastinate).
REQUIRED = ("pgqueuer", "procrastinate", "asyncpg", "psycopg_pool")
ENTRYPOINT = "grade"
WORKER_ID = "peer"


@dataclass(frozen=True)
class Drained:
    """Wall clock (epoch seconds) when the consumer started, and when it found no more work."""

    started: float
    drained: float


def missing_libraries() -> list[str]:
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


async def run_pgqueuer(
    url: str, ids: Sequence[uuid.UUID], *, concurrency: int, timeout: float
) -> Drained:
    import asyncpg
    from pgqueuer import PgQueuer
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.models import Job
    from pgqueuer.queries import Queries
    from pgqueuer.types import QueueExecutionMode

    queue_connection = await asyncpg.connect(url)
    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    try:
        driver = AsyncpgDriver(queue_connection)
        queries = Queries(driver)
        await queries.install()
        await queries.enqueue([ENTRYPOINT] * len(ids), [sid.bytes for sid in ids], [0] * len(ids))
        pgq = PgQueuer(driver)

        async def grade(job: Job) -> None:
            async with pool.acquire() as conn:
                await grade_by_hand_async(
                    conn,
                    uuid.UUID(bytes=job.payload),
                    message_id=str(job.id),
                    worker_id=WORKER_ID,
                )

        # Registered by a plain call: the decorator is untyped for mypy. The worker's cap
        # must be at least twice its batch, so one job in flight is the entrypoint's limit.
        pgq.entrypoint(ENTRYPOINT, concurrency_limit=1 if concurrency == 1 else 0)(grade)
        started = time.time()
        await asyncio.wait_for(
            pgq.qm.run(
                batch_size=max(1, concurrency // 2),
                max_concurrent_tasks=concurrency if concurrency > 1 else None,
                mode=QueueExecutionMode.drain,
            ),
            timeout,
        )
        return Drained(started, time.time())
    finally:
        await pool.close()
        await queue_connection.close()


async def run_procrastinate(
    url: str, ids: Sequence[uuid.UUID], *, concurrency: int, timeout: float
) -> Drained:
    import procrastinate
    from psycopg_pool import AsyncConnectionPool

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=url, min_size=concurrency + 1, max_size=concurrency + 1
        )
    )
    pool = AsyncConnectionPool(url, min_size=concurrency, max_size=concurrency, open=False)

    async def grade(submission_id: str) -> None:
        async with pool.connection() as conn:
            await grade_by_hand_psycopg_async(conn, uuid.UUID(submission_id), worker_id=WORKER_ID)

    task = app.task(name=ENTRYPOINT)(grade)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        jobs: list[dict[str, Any]] = [{"submission_id": str(sid)} for sid in ids]
        await task.batch_defer_async(*jobs)
        await pool.open(wait=True)
        try:
            started = time.time()
            await asyncio.wait_for(
                app.run_worker_async(
                    concurrency=concurrency, wait=False, install_signal_handlers=False
                ),
                timeout,
            )
            return Drained(started, time.time())
        finally:
            await pool.close()
