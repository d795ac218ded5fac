"""The Dramatiq actors, registered on a broker the caller builds (tests use their own).

Retries are decided from the outcome's class, not by Dramatiq's counter: a failure of the
grading counts against ``max_retries`` in the submission's retry budget, which the
database counts (its error events, read under the row lock; domain/retries.py), so a
redispatched or a lost message neither resets nor doubles it. Dramatiq's Retry is only
how the message comes back after its backoff. An outage counts nothing and the message
goes back to the broker until the database answers. Nothing is dead-lettered for an outage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog
from dramatiq.middleware import CurrentMessage

from domain.errors import InfrastructureError, InvalidInput, NotFound, StaleRequest
from domain.messages import (
    MESSAGE_TYPE_GRADING_CALLBACK,
    MESSAGE_TYPE_GRADING_REQUEST,
    parse_grading_request,
)
from domain.retries import backoff_seconds
from workers.grading import Delivery, GradingService, Outcome
from workers.results import CallbackService
from workers.routes import APPLY_GRADING_CALLBACK, GRADE_SUBMISSION, ROUTES

log = structlog.get_logger("vstep.worker")

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


def _hand_back(options: dict[str, Any], exc: InfrastructureError, **context: str) -> dramatiq.Retry:
    """The message goes back to the broker for later: an outage costs no retry."""
    handed_back = int(options.get("retries", 0)) + 1
    delay = backoff_seconds(
        handed_back, base=OUTAGE_RETRY_BASE_SECONDS, cap=OUTAGE_RETRY_CAP_SECONDS
    )
    log.warning(
        "message_handed_back", error=str(exc)[:300], delay_seconds=round(delay, 1), **context
    )
    return dramatiq.Retry(f"infrastructure unavailable: {exc}", delay=int(delay * 1000))


def register_actors(
    broker: dramatiq.Broker,
    service: GradingService,
    *,
    retry: RetryPolicy,
    worker_id: str,
    callbacks: CallbackService | None = None,
) -> dict[str, dramatiq.Actor[Any, Any]]:
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())

    def grade_submission(payload: dict[str, Any]) -> None:
        message = CurrentMessage.get_current_message()
        options: dict[str, Any] = message.options if message is not None else {}
        delivery = Delivery(
            message_id=message.message_id if message else "?",
            max_retries=retry.max_retries,
            worker_id=worker_id,
            retry_base_seconds=retry.min_backoff_seconds,
            retry_cap_seconds=retry.max_backoff_seconds,
        )
        try:
            request = parse_grading_request(payload)
        except InvalidInput as exc:
            # The relay validates payloads; one that still fails here is dropped, never looped.
            log.error("grading_request_invalid", error=str(exc), message_id=delivery.message_id)
            return
        try:
            graded = service.grade(request, delivery)
        except InfrastructureError as exc:
            raise _hand_back(
                options,
                exc,
                message_id=delivery.message_id,
                submission_id=str(request.submission_id),
            ) from exc
        if graded.outcome is Outcome.RETRY:
            # As the retrying event's notBefore says (the grading service decided it).
            delay = graded.retry_in_seconds or 0.0
            raise dramatiq.Retry("grading failed transiently", delay=max(1, int(delay * 1000)))

    actors = {
        GRADE_SUBMISSION: _actor(
            broker, grade_submission, GRADE_SUBMISSION, MESSAGE_TYPE_GRADING_REQUEST
        )
    }
    if callbacks is not None:
        actors[APPLY_GRADING_CALLBACK] = _callback_actor(broker, callbacks)
    return actors


def _callback_actor(
    broker: dramatiq.Broker, callbacks: CallbackService
) -> dramatiq.Actor[Any, Any]:
    def apply_grading_callback(payload: dict[str, Any]) -> None:
        message = CurrentMessage.get_current_message()
        options: dict[str, Any] = message.options if message is not None else {}
        message_id = message.message_id if message else "?"
        try:
            callbacks.apply(payload, via="queue", source={"messageId": message_id})
        except InfrastructureError as exc:
            raise _hand_back(options, exc, message_id=message_id) from exc
        except (InvalidInput, NotFound, StaleRequest) as exc:
            # Retrying cannot mend it; the door over HTTP would answer 4xx. What could be
            # written on the submission (a stale_result event) already was.
            log.warning(
                "callback_refused",
                message_id=message_id,
                error_type=type(exc).__name__,
                error=str(exc)[:500],
            )

    return _actor(
        broker, apply_grading_callback, APPLY_GRADING_CALLBACK, MESSAGE_TYPE_GRADING_CALLBACK
    )


def _actor(
    broker: dramatiq.Broker, fn: Callable[[dict[str, Any]], None], name: str, message_type: str
) -> dramatiq.Actor[Any, Any]:
    """An actor on its message type's queue (workers/routes.py), retried only on request."""
    return dramatiq.Actor(
        fn,
        broker=broker,
        actor_name=name,
        queue_name=ROUTES[message_type].queue_name,
        priority=0,
        options={"retry_when": _only_our_retries},
    )
