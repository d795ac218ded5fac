"""The one place that builds processes from settings: every setting reaches its user here.

``process_settings()`` reads the environment once per process, on first use; the CLI's
commands, the module Dramatiq's worker processes import and the metrics endpoint's
process all take their settings from it, and every component's settings (relay, duties,
worker, serve, console) are derived from that one object below. Tests build the same
objects with settings of their own.
"""

from __future__ import annotations

import os
from functools import cache

import dramatiq
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from db.clock import database_ping
from domain.errors import InvalidInput
from workers.actors import RetryPolicy
from workers.ai_grader import AiGraderClient
from workers.broker import broker_check, make_broker
from workers.broker_probe import probe_for
from workers.console.app import ConsoleSettings, make_console_app
from workers.duties.leases import LeaseDuty, LeaseSettings
from workers.duties.retention import RetentionDuty, RetentionSettings
from workers.duties.stalls import StallDuty, StallSettings
from workers.duties.timeouts import TimeoutDuty
from workers.duty_loop import Duty
from workers.grading import GradingService
from workers.middleware import LogContext, MetricsEndpoint, RedisHeartbeat
from workers.relay import Relay, RelaySettings
from workers.results import CallbackService, ResultSettings
from workers.settings import Settings, load_settings
from workers.text_graders import BuiltinGrader, TextGrader
from workers.web.app import HttpDoor, make_app
from workers.web.collector import DatabaseCollector
from workers.web.openapi import callbacks_openapi


@cache
def process_settings() -> Settings:
    """This process's settings, read from the environment the first time they are asked
    for (so ``--help``, ``--version`` and a usage error need no valid environment); a bad
    variable is one ConfigError naming it."""
    return load_settings()


# A forked child (Dramatiq's worker and endpoint processes) is a process of its own: it
# reads its environment once, as its parent may have changed it for it (LOG_FORMAT handed
# down by `vstep-grading worker`), instead of inheriting the parent's settings.
os.register_at_fork(after_in_child=process_settings.cache_clear)


def broker_from(settings: Settings) -> dramatiq.Broker:
    return make_broker(
        settings.broker_url,
        namespace=settings.broker_namespace,
        redelivery_seconds=settings.worker_redelivery_seconds,
    )


def worker_broker_from(settings: Settings) -> dramatiq.Broker:
    """The broker of a worker process, with its middleware: log context, a heartbeat six
    times per redelivery window, the metrics endpoint when METRICS_PORT is set."""
    broker = broker_from(settings)
    broker.add_middleware(LogContext())
    broker.add_middleware(RedisHeartbeat(interval_seconds=settings.worker_redelivery_seconds / 6))
    if settings.metrics_port is not None:
        broker.add_middleware(MetricsEndpoint())
    return broker


def relay_from(
    settings: Settings, session_factory: sessionmaker[Session], broker: dramatiq.Broker
) -> Relay:
    settings_of_relay = relay_settings_of(settings)
    return Relay(session_factory=session_factory, broker=broker, settings=settings_of_relay)


# The relay's settings read from the environment, each from OUTBOX_<NAME>.
RELAY_FROM_ENVIRONMENT = (
    "batch_size", "lease_seconds", "max_attempts", "poll_seconds", "backoff_base_seconds",
    "backoff_cap_seconds",
)  # fmt: skip


def relay_settings_of(settings: Settings) -> RelaySettings:
    return RelaySettings(
        **{name: getattr(settings, f"outbox_{name}") for name in RELAY_FROM_ENVIRONMENT}
    )


def retry_policy_from(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_retries=settings.grading_max_retries,
        min_backoff_seconds=settings.grading_retry_base_seconds,
        max_backoff_seconds=settings.grading_retry_cap_seconds,
    )


def grading_service_from(settings: Settings, engine: Engine) -> GradingService:
    """The external grader when AI_GRADER_URL is set, else the built-in one."""
    text_grader: TextGrader
    if settings.ai_grader_url:
        text_grader = AiGraderClient(settings.ai_grader_url, callback_url=settings.callback_url())
    else:
        text_grader = BuiltinGrader(peer_answers_compared=settings.peer_answers_compared)
        # Its word lists load now, not during the first submission.
        BuiltinGrader.warm_up()
    return GradingService(
        engine,
        outage_wait_seconds=settings.worker_outage_wait_seconds,
        text_grader=text_grader,
        spot_check_rate=settings.spot_check_rate,
        spot_check_seed=settings.spot_check_seed,
    )


def scheduler_duties_from(
    settings: Settings, session_factory: sessionmaker[Session], broker: dramatiq.Broker
) -> list[Duty]:
    stalls = StallSettings(
        stall_seconds=settings.grading_stall_seconds,
        max_redispatch=settings.grading_max_redispatch,
        # Look at least four times per stall window, so a loss is acted on soon.
        interval_seconds=min(10.0, settings.grading_stall_seconds / 4),
    )
    retention = RetentionSettings(
        outbox_days=settings.outbox_retention_days,
        callback_days=settings.callback_retention_days,
        token_days=settings.refresh_token_retention_days,
    )
    leases = LeaseSettings(lease_seconds=settings.outbox_lease_seconds)
    return [
        TimeoutDuty(session_factory),
        StallDuty(session_factory, probe_for(broker), stalls),
        LeaseDuty(session_factory, leases),
        RetentionDuty(session_factory, retention),
    ]


def callback_service_from(
    settings: Settings, session_factory: sessionmaker[Session]
) -> CallbackService:
    return CallbackService(
        session_factory,
        ResultSettings(
            spot_check_rate=settings.spot_check_rate,
            spot_check_seed=settings.spot_check_seed,
            progress_throttle_seconds=settings.progress_throttle_seconds,
            max_retries=settings.grading_max_retries,
            retry_base_seconds=settings.grading_retry_base_seconds,
            retry_cap_seconds=settings.grading_retry_cap_seconds,
        ),
    )


def callback_secret_of(settings: Settings) -> bytes:
    """The key senders sign callbacks with; serve does not start without one."""
    secret = settings.callback_secret.get_secret_value() if settings.callback_secret else ""
    if not secret:
        raise InvalidInput("CALLBACK_SECRET", "not set; serve needs it to check signed callbacks")
    return secret.encode()


def http_app_from(
    settings: Settings, session_factory: sessionmaker[Session], broker: dramatiq.Broker
) -> Starlette:
    def database() -> None:
        with session_factory.begin() as session:
            database_ping(session)

    public_url = settings.callback_url().removesuffix("/v1/callbacks")
    return make_app(
        HttpDoor(
            callbacks=callback_service_from(settings, session_factory),
            secret=callback_secret_of(settings),
            readiness={"database": database, "broker": lambda: broker_check(broker)},
            metrics=DatabaseCollector(session_factory),
            openapi=callbacks_openapi(public_url),
        )
    )


def console_app_from(
    settings: Settings, session_factory: sessionmaker[Session], key: bytes
) -> Starlette:
    console_settings = ConsoleSettings(
        key=key,
        session_minutes=settings.console_session_minutes,
        claim_minutes=settings.review_claim_minutes,
        stall_seconds=settings.grading_stall_seconds,
        sla=settings.sla(),
    )
    return make_console_app(
        session_factory, callback_service_from(settings, session_factory), console_settings
    )
