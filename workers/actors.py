"""The Dramatiq actors, registered on a broker the caller builds (tests use their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import CurrentMessage

from domain.errors import InvalidInput, TransientError
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST, parse_grading_request
from workers.grading import Delivery, GradingService
from workers.routes import GRADE_SUBMISSION, ROUTES

log = structlog.get_logger("vstep.worker")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    min_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0


def register_actors(
    broker: dramatiq.Broker, service: GradingService, *, retry: RetryPolicy, worker_id: str
) -> dict[str, dramatiq.Actor[Any, Any]]:
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())

    def grade_submission(payload: dict[str, Any]) -> None:
        message = CurrentMessage.get_current_message()
        delivery = Delivery(
            message_id=message.message_id if message else "?",
            retries=int(message.options.get("retries", 0)) if message else 0,
            max_retries=retry.max_retries,
            worker_id=worker_id,
        )
        try:
            request = parse_grading_request(payload)
        except InvalidInput as exc:
            # The relay validates payloads; one that still fails here is dropped, never looped.
            log.error("grading_request_invalid", error=str(exc), message_id=delivery.message_id)
            return
        service.grade(request, delivery)

    actor = dramatiq.Actor(
        grade_submission,
        broker=broker,
        actor_name=GRADE_SUBMISSION,
        queue_name=ROUTES[MESSAGE_TYPE_GRADING_REQUEST].queue_name,
        priority=0,
        options={
            "max_retries": retry.max_retries,
            "min_backoff": int(retry.min_backoff_seconds * 1000),
            "max_backoff": int(retry.max_backoff_seconds * 1000),
            # Only transient failures come back; anything else would fail the same way again.
            "retry_when": lambda retries, exc: (
                isinstance(exc, TransientError) and retries < retry.max_retries
            ),
        },
    )
    return {GRADE_SUBMISSION: actor}
