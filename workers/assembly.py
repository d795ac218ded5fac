"""The one place that builds processes from settings: every setting reaches its user here.

The CLI's process commands and the worker module Dramatiq imports call these; tests
build the same objects with settings of their own.
"""

from __future__ import annotations

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
from workers.duties.leases import LeaseDuty, LeaseSettings
from workers.duties.retention import RetentionDuty, RetentionSettings
from workers.duties.stalls import StallDuty, StallSettings
from workers.duties.timeouts import TimeoutDuty
from workers.duty_loop import Duty
from workers.grading import GradingService
from workers.relay import Relay, RelaySettings
from workers.results import CallbackService, ResultSettings
from workers.settings import Settings
from workers.text_graders import BuiltinGrader, TextGrader
from workers.web.app import HttpDoor, make_app
from workers.web.collector import DatabaseCollector
from workers.web.openapi import callbacks_openapi


def broker_from(settings: Settings) -> dramatiq.Broker:
    return make_broker(
        settings.broker_url,
        namespace=settings.broker_namespace,
        redelivery_seconds=settings.worker_redelivery_seconds,
    )


def relay_from(
    settings: Settings, session_factory: sessionmaker[Session], broker: dramatiq.Broker
) -> Relay:
    return Relay(
        session_factory=session_factory,
        broker=broker,
        settings=RelaySettings.from_settings(settings),
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
    return [
        TimeoutDuty(session_factory),
        StallDuty(
            session_factory,
            probe_for(broker),
            StallSettings(
                stall_seconds=settings.grading_stall_seconds,
                max_redispatch=settings.grading_max_redispatch,
                # Look at least four times per stall window, so a loss is acted on soon.
                interval_seconds=min(10.0, settings.grading_stall_seconds / 4),
            ),
        ),
        LeaseDuty(session_factory, LeaseSettings(lease_seconds=settings.outbox_lease_seconds)),
        RetentionDuty(
            session_factory,
            RetentionSettings(
                outbox_days=settings.outbox_retention_days,
                callback_days=settings.callback_retention_days,
                token_days=settings.refresh_token_retention_days,
            ),
        ),
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
