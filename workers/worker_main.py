"""The module `vstep-grading worker` hands to Dramatiq: each worker process imports it.

Importing builds this process's broker, engine and actors from its settings (read once,
by ``workers/assembly.py``).
"""

from __future__ import annotations

import os

import dramatiq

from db.session import make_engine, make_session_factory
from workers.actors import register_actors
from workers.assembly import (
    callback_service_from,
    grading_service_from,
    process_settings,
    retry_policy_from,
    worker_broker_from,
)
from workers.grading import WORKER_THREADS_ENV, new_worker_id
from workers.logging import configure_logging

settings = process_settings()
configure_logging(settings.log_format, settings.log_level)
broker = worker_broker_from(settings)
dramatiq.set_broker(broker)
# One connection per worker thread, so no thread waits for another's; set by
# `vstep-grading worker` for the processes it starts.
threads = int(os.environ.get(WORKER_THREADS_ENV, "4"))
engine = make_engine(
    settings.database_url,
    pool_size=threads,
    application_name="vstep-grading worker",
    # Gradings retry a lost connection themselves (workers/grading.py): no ping per job.
    pre_ping=False,
)
session_factory = make_session_factory(engine)
actors = register_actors(
    broker,
    grading_service_from(settings, engine),
    retry=retry_policy_from(settings),
    worker_id=new_worker_id(),
    callbacks=callback_service_from(settings, session_factory),
)
