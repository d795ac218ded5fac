"""The Dramatiq actors, registered on a broker the caller builds (tests use their own).

Retries are decided here from the outcome's class, not by Dramatiq's counter: a failure
of the grading counts against ``max_retries`` (kept in the message's own
``grading_failures`` option); an outage counts nothing and the message goes back to the
broker until the database answers. Nothing is dead-lettered for an outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import CurrentMessage

from domain.errors import InfrastructureError, InvalidInput
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST, parse_grading_request
from domain.retries import backoff_seconds
from workers.grading import Delivery, GradingService, Outcome
from workers.routes import GRADE_SUBMISSION, ROUTES

log = structlog.get_logger("vstep.worker")

# The message option counting failures of the grading itself (outages are not counted).
GRADING_FAILURES = "grading_failures"
# How soon a message handed back during an outage comes round again, doubling to the cap.
OUTAGE_RETRY_BASE_SECONDS = 2.0
OUTAGE_RETRY_CAP_SECONDS = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    min_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0


def _only_our_retries(retries: int, exc: BaseException) -> bool:
    """Dramatiq retries what the actor asked to retry, as often as it asks; never a bug."""
    return isinstance(exc, dramatiq.Retry)


def register_actors(
    broker: dramatiq.Broker, service: GradingService, *, retry: RetryPolicy, worker_id: str
) -> dict[str, dramatiq.Actor[Any, Any]]:
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())

    def grade_submission(payload: dict[str, Any]) -> None:
        message = CurrentMessage.get_current_message()
        options: dict[str, Any] = message.options if message is not None else {}
        delivery = Delivery(
            message_id=message.message_id if message else "?",
            failures=int(options.get(GRADING_FAILURES, 0)),
            max_retries=retry.max_retries,
            worker_id=worker_id,
        )
        try:
            request = parse_grading_request(payload)
        except InvalidInput as exc:
            # The relay validates payloads; one that still fails here is dropped, never looped.
            log.error("grading_request_invalid", error=str(exc), message_id=delivery.message_id)
            return
        try:
            outcome = service.grade(request, delivery)
        except InfrastructureError as exc:
            handed_back = int(options.get("retries", 0)) + 1
            delay = backoff_seconds(
                handed_back, base=OUTAGE_RETRY_BASE_SECONDS, cap=OUTAGE_RETRY_CAP_SECONDS
            )
            log.warning(
                "grading_handed_back",
                message_id=delivery.message_id,
                submission_id=str(request.submission_id),
                error=str(exc)[:300],
                delay_seconds=round(delay, 1),
            )
            raise dramatiq.Retry(
                f"infrastructure unavailable: {exc}", delay=int(delay * 1000)
            ) from exc
        if outcome is Outcome.RETRY:
            options[GRADING_FAILURES] = delivery.failures + 1
            delay = backoff_seconds(
                delivery.failures + 1,
                base=retry.min_backoff_seconds,
                cap=retry.max_backoff_seconds,
            )
            raise dramatiq.Retry("grading failed transiently", delay=max(1, int(delay * 1000)))

    actor = dramatiq.Actor(
        grade_submission,
        broker=broker,
        actor_name=GRADE_SUBMISSION,
        queue_name=ROUTES[MESSAGE_TYPE_GRADING_REQUEST].queue_name,
        priority=0,
        options={"retry_when": _only_our_retries},
    )
    return {GRADE_SUBMISSION: actor}
