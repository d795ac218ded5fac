"""The outbox relay in a thread of the benchmark's own process, for the benchmarks that
need one running while they measure something else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.common import RELAY_JOIN_SECONDS, BenchEnv, Database
from db.session import make_engine, make_session_factory
from workers.broker import make_broker
from workers.relay import Relay, RelaySettings
from workers.relay_loop import run_relay


@contextmanager
def relay_thread(env: BenchEnv, db: Database) -> Iterator[threading.Thread]:
    """``run_relay`` on ``db`` with default settings and its own engine and broker, as its
    own process would have, in a thread the caller starts when its clock does. On exit the
    relay is stopped and joined, and its broker and engine closed."""
    engine = make_engine(db.url, pool_size=2, application_name="vstep-bench relay")
    broker = make_broker(env.redis_url, namespace=env.namespace)
    relay = Relay(
        session_factory=make_session_factory(engine), broker=broker, settings=RelaySettings()
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=run_relay,
        args=(relay,),
        kwargs={"database_url": db.libpq_url, "stop": stop},
        name="relay",
        daemon=True,
    )
    try:
        yield thread
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(RELAY_JOIN_SECONDS)
        broker.close()
        engine.dispose()
