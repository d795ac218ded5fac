"""Every setting, from environment variables; a bad value fails at start naming the variable."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.urls import parse_database_url
from domain.answers import ANSWER_MAX_BYTES
from domain.confidence import PEER_ANSWERS_COMPARED
from domain.enums import Skill
from domain.errors import InvalidInput, VstepGradingError
from domain.sla import DEFAULT_SLA
from workers.broker_url import check_broker_url

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/vstep_grading"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
# Dot-separated labels of letters, digits and inner hyphens (RFC 1123).
HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")


def _sla_minutes(skill: Skill) -> float:
    return DEFAULT_SLA[skill].total_seconds() / 60


class ConfigError(VstepGradingError):
    """The configuration is invalid (the CLI treats it as a usage error: exit 2)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str = DEFAULT_BROKER_URL
    # Prefix of our Redis keys (RabbitMQ ignores it); tests run in their own.
    broker_namespace: str = "vstep-grading"
    # None: readable lines in a terminal, JSON lines otherwise.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # Outbox relay.
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_batch_size: int = Field(default=200, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_backoff_base_seconds: float = Field(default=1.0, gt=0)
    outbox_backoff_cap_seconds: float = Field(default=300.0, gt=0)

    # Grading workers.
    grading_max_retries: int = Field(default=3, ge=0)
    grading_retry_base_seconds: float = Field(default=1.0, gt=0)
    grading_retry_cap_seconds: float = Field(default=300.0, gt=0)
    # How soon a message held by a dead worker is handed to a live one.
    worker_redelivery_seconds: float = Field(default=30.0, gt=0)
    # How long a grading thread waits for the database to return before it hands its
    # message back to the broker (an outage spends no retry either way).
    worker_outage_wait_seconds: float = Field(default=60.0, ge=0)
    # How long a starting process (relay, worker, scheduler, serve, dev) waits for the
    # database and the broker to answer. WORKER_START_WAIT_SECONDS, its earlier name, works too.
    start_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        validation_alias=AliasChoices("start_wait_seconds", "worker_start_wait_seconds"),
    )

    # Scheduler: stalled work is dispatched again, at most so many times, then failed.
    grading_stall_seconds: float = Field(default=120.0, gt=0)
    grading_max_redispatch: int = Field(default=3, ge=0)
    # Retention of published outbox rows and of the callback inbox.
    outbox_retention_days: float = Field(default=7.0, gt=0)
    callback_retention_days: float = Field(default=30.0, gt=0)
    # Refresh tokens expired or revoked more than this long ago are deleted.
    refresh_token_retention_days: float = Field(default=30.0, gt=0)

    # SLA of the automatic grading phase, per skill.
    sla_listening_minutes: float = Field(default=_sla_minutes(Skill.LISTENING), gt=0)
    sla_reading_minutes: float = Field(default=_sla_minutes(Skill.READING), gt=0)
    sla_writing_minutes: float = Field(default=_sla_minutes(Skill.WRITING), gt=0)
    sla_speaking_minutes: float = Field(default=_sla_minutes(Skill.SPEAKING), gt=0)

    # Largest answer intake takes, in bytes of its compact UTF-8 JSON encoding.
    answer_max_bytes: int = Field(default=ANSWER_MAX_BYTES, ge=1)

    # Inbound callbacks (`vstep-grading serve`): the HMAC secret senders sign with.
    callback_secret: SecretStr | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    # Where external graders reach us; default http://HTTP_HOST:HTTP_PORT.
    public_url: str | None = None
    # Share of auto-completed writing/speaking results also reviewed (docs/scoring.md#spot-checks).
    spot_check_rate: float = Field(default=0.05, ge=0, le=1)
    # A reviewer's claim on a submission lapses after this long; another may take it over.
    review_claim_minutes: float = Field(default=30.0, gt=0)
    # Seeds the spot-check draws (tests, reproducible demos); unset: a fresh seed per process.
    spot_check_seed: int | None = None
    # How many of other learners' latest answers to a question an answer is compared with.
    peer_answers_compared: int = Field(default=PEER_ANSWERS_COMPARED, ge=0, le=1000)
    # Progress callbacks closer together than this are dropped (a chatty grader).
    progress_throttle_seconds: float = Field(default=5.0, ge=0)
    # The external AI grader for writing and speaking; unset: the built-in grader grades.
    ai_grader_url: str | None = None

    # A worker serves /metrics on HTTP_HOST:METRICS_PORT: the counts of every process
    # sharing PROMETHEUS_MULTIPROC_DIR with it (its own processes at least). Unset: none.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The web console (`vstep-grading console`): where it listens, how long a signed-in
    # person may stay idle, the key its session cookies are signed with (unset: a random
    # one per process, so sessions end when it restarts), and the longest query it runs.
    console_host: str = "127.0.0.1"
    console_port: int = Field(default=8090, ge=1, le=65535)
    console_session_minutes: float = Field(default=30.0, gt=0)
    console_secret: SecretStr | None = None
    console_statement_timeout_ms: int = Field(default=5000, ge=1)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        with _as_value_error():
            parse_database_url(value)
        return value

    @field_validator("http_host", "console_host")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not HOST_NAME.fullmatch(value):
                raise ValueError(f"{value!r} is not a host name or an IP address") from None
        return value

    @field_validator("metrics_port")
    @classmethod
    def _metrics_port(cls, value: int | None) -> int | None:
        # Without the shared directory a worker's processes count in their own memory,
        # which its endpoint cannot read.
        if value is not None and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            raise ValueError("needs PROMETHEUS_MULTIPROC_DIR, the directory processes count in")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        with _as_value_error():
            return check_broker_url(value)

    def callback_url(self) -> str:
        """Where an external grader posts its results: PUBLIC_URL (or HTTP_HOST:HTTP_PORT)."""
        base = self.public_url or f"http://{self.http_host}:{self.http_port}"
        return base.rstrip("/") + "/v1/callbacks"

    def sla(self) -> dict[Skill, timedelta]:
        """The SLA per skill, as intake takes it."""
        return {
            Skill.LISTENING: timedelta(minutes=self.sla_listening_minutes),
            Skill.READING: timedelta(minutes=self.sla_reading_minutes),
            Skill.WRITING: timedelta(minutes=self.sla_writing_minutes),
            Skill.SPEAKING: timedelta(minutes=self.sla_speaking_minutes),
        }


@contextmanager
def _as_value_error() -> Iterator[None]:
    """InvalidInput as the ValueError pydantic collects, so one ConfigError lists every
    bad variable (the variable's name is added from the error's location)."""
    try:
        yield
    except InvalidInput as exc:
        raise ValueError(exc.reason) from None


def load_settings() -> Settings:
    """Read the environment; one ConfigError naming every bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from exc
