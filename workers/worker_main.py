"""The module `vstep-grading worker` hands to Dramatiq: each worker process imports it.

Importing builds this process's broker, engine and actors from the environment.
"""

from __future__ import annotations

import dramatiq

from db.session import make_engine, make_session_factory
from workers.actors import register_actors
from workers.assembly import (
    broker_from,
    callback_service_from,
    grading_service_from,
    retry_policy_from,
)
from workers.grading import new_worker_id
from workers.logging import configure_logging
from workers.middleware import LogContext, RedisHeartbeat
from workers.settings import load_settings

settings = load_settings()
configure_logging(settings.log_format, settings.log_level)
broker = broker_from(settings)
broker.add_middleware(LogContext())
broker.add_middleware(RedisHeartbeat(interval_seconds=settings.worker_redelivery_seconds / 6))
dramatiq.set_broker(broker)
engine = make_engine(settings.database_url, application_name="vstep-grading worker")
session_factory = make_session_factory(engine)
actors = register_actors(
    broker,
    grading_service_from(settings, session_factory),
    retry=retry_policy_from(settings),
    worker_id=new_worker_id(),
    callbacks=callback_service_from(settings, session_factory),
)
