"""What the relay sends: the Dramatiq message of each claimed outbox row, published as one
batch. A row whose message cannot be built, or that the broker refuses by itself, is
poison; a broker outage fails nothing for good (``workers/relay.py`` records both).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import dramatiq

from db.outbox import ClaimedRow, PublishFailure, SubmissionFacts
from domain.errors import BrokerUnavailable, InvalidInput
from domain.messages import GradingRequest, check_request_matches
from workers.broker_batch import Outgoing, enqueue_batch
from workers.routes import ROUTES


def delay_ms(payload: dict[str, object]) -> int | None:
    """How long the broker should hold a message whose payload says ``notBefore``."""
    not_before = payload.get("notBefore")
    if not isinstance(not_before, str):
        return None
    try:
        when = datetime.fromisoformat(not_before)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    remaining = (when - datetime.now(UTC)).total_seconds()
    return int(remaining * 1000) if remaining > 0 else None


def poison_error(exc: Exception) -> str:
    """The error_message of a row that can never be published."""
    error = str(exc) if isinstance(exc, InvalidInput) else f"{type(exc).__name__}: {exc}"
    return error[:2000]


def publish_rows(
    broker: dramatiq.Broker, rows: list[ClaimedRow]
) -> tuple[list[ClaimedRow], list[PublishFailure]]:
    """Publish the rows whose message can be built, as one batch.

    A row whose message cannot be built, or that the broker refuses by itself, is poison.
    A broker outage fails nothing for good: every row of the batch backs off, even those
    that may have reached the broker before it went away (a later copy is deduped).
    """
    failures: list[PublishFailure] = []
    buildable: list[ClaimedRow] = []
    batch: list[Outgoing] = []
    for row in rows:
        try:
            message = message_for(row)
        except Exception as exc:  # poison: trying again would fail the same way
            failures.append(PublishFailure(row.id, poison_error(exc), permanent=True))
            continue
        buildable.append(row)
        batch.append((message, delay_ms(row.payload)))
    if not batch:
        return [], failures
    try:
        refusals = enqueue_batch(broker, batch)
    except BrokerUnavailable as exc:
        error = f"publish failed: {exc}"[:2000]
        failures.extend(PublishFailure(row.id, error, permanent=False) for row in buildable)
        return [], failures
    published: list[ClaimedRow] = []
    for row, refusal in zip(buildable, refusals, strict=True):
        if refusal is None:
            published.append(row)
        else:
            failures.append(PublishFailure(row.id, poison_error(refusal), permanent=True))
    return published, failures


def message_for(row: ClaimedRow) -> dramatiq.Message[object]:
    """The Dramatiq message of a row; InvalidInput when the row is poison."""
    route = ROUTES.get(row.message_type)
    if route is None:
        raise InvalidInput("message_type", f"no route for message_type {row.message_type!r}")
    parsed = route.validate(row.payload)
    if getattr(parsed, "submission_id", row.submission_id) != row.submission_id:
        raise InvalidInput(
            "payload.submissionId",
            f"{parsed.submission_id} does not match outbox.submission_id {row.submission_id}",
        )
    if isinstance(parsed, GradingRequest):
        facts: SubmissionFacts = row.submission
        check_request_matches(
            parsed, request_id=facts.request_id, user_id=facts.user_id, skill=facts.skill,
            question_skill=facts.question_skill,
        )  # fmt: skip
    return dramatiq.Message(
        queue_name=route.queue_name,
        actor_name=route.actor_name,
        args=(row.payload,),
        kwargs={},
        options={"outbox_id": str(row.id), "trace_id": row.payload.get("traceId")},
        # The outbox id is the message id: consumers dedup on it.
        message_id=str(row.id),
        message_timestamp=int(time.time() * 1000),
    )
