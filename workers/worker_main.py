"""The module `vstep-grading worker` hands to Dramatiq: each worker process imports it.

Importing builds this process's broker, engine and actors from the environment.
"""

from __future__ import annotations

import dramatiq

from db.session import make_engine, make_session_factory
from workers.actors import RetryPolicy, register_actors
from workers.broker import make_broker
from workers.grading import GradingService, new_worker_id
from workers.logging import configure_logging
from workers.middleware import LogContext, RedisHeartbeat
from workers.settings import load_settings

settings = load_settings()
configure_logging(settings.log_format, settings.log_level)
broker = make_broker(
    settings.broker_url,
    namespace=settings.broker_namespace,
    redelivery_seconds=settings.worker_redelivery_seconds,
)
broker.add_middleware(LogContext())
broker.add_middleware(RedisHeartbeat(interval_seconds=settings.worker_redelivery_seconds / 6))
dramatiq.set_broker(broker)
engine = make_engine(settings.database_url, application_name="vstep-grading worker")
actors = register_actors(
    broker,
    GradingService(make_session_factory(engine)),
    retry=RetryPolicy(
        max_retries=settings.grading_max_retries,
        min_backoff_seconds=settings.grading_retry_base_seconds,
        max_backoff_seconds=settings.grading_retry_cap_seconds,
    ),
    worker_id=new_worker_id(),
)
