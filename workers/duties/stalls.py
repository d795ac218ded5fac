"""Stalls: reconcile the database with the broker, so no submission waits for a lost message.

A live submission in queued|processing|retrying, before its deadline, with no event for
GRADING_STALL_SECONDS, whose newest request the broker no longer holds (Redis flushed,
a message dead-lettered, a worker's ack lost) is dispatched again: a new grading.request
row for the same request id, with a ``redispatched`` event, in one transaction. The relay
sends it; a copy that finds the work done changes nothing. After GRADING_MAX_REDISPATCH
copies it fails with STALLED instead. A message the broker still holds is a healthy
backlog and is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from db.dispatch import submission_redispatch
from db.submissions import submission_event_append, submission_transition
from db.supervision import Stalled, duty_lock, submissions_stalled
from domain.enums import SubmissionStatus
from domain.events import EventKind
from domain.failures import STALLED
from domain.messages import MESSAGE_TYPE_GRADING_REQUEST
from domain.supervision import StallAction, stall_action
from workers.broker_probe import BrokerProbe
from workers.duties.scheduled import ScheduledDuty
from workers.routes import ROUTES

log = structlog.get_logger("vstep.scheduler")


@dataclass(frozen=True)
class StallSettings:
    # GRADING_STALL_SECONDS and GRADING_MAX_REDISPATCH (workers/assembly.py).
    stall_seconds: float
    max_redispatch: int
    # How often the database is reconciled with the broker.
    interval_seconds: float = 10.0
    # Submissions examined per transaction (one broker round trip per page).
    page_size: int = 500


class StallDuty(ScheduledDuty[StallSettings]):
    """Pages through every candidate in one pass: nothing waits after it."""

    name = "stalls"

    def __init__(
        self, session_factory: sessionmaker[Session], probe: BrokerProbe, settings: StallSettings
    ) -> None:
        super().__init__(session_factory, settings)
        self.probe = probe
        self.queue_name = ROUTES[MESSAGE_TYPE_GRADING_REQUEST].queue_name

    def run_once(self, now: datetime | None = None) -> int:
        """Redispatch or fail every stalled submission; how many were acted on."""
        handled = 0
        after: uuid.UUID | None = None
        while True:
            with self.session_factory.begin() as session:
                if not duty_lock(session, duty=self.name):
                    return handled
                page = submissions_stalled(
                    session,
                    stall_seconds=self.settings.stall_seconds,
                    limit=self.settings.page_size,
                    after=after,
                    now=now,
                )
                held = self.probe.waiting(
                    self.queue_name, [str(s.last_message_id) for s in page if s.last_message_id]
                )
                for stalled in page:
                    action = stall_action(
                        held_by_broker=str(stalled.last_message_id) in held,
                        redispatch_count=stalled.redispatch_count,
                        max_redispatch=self.settings.max_redispatch,
                        awaiting_grader=stalled.last_event_kind == EventKind.GRADER_REQUESTED,
                    )
                    if action is not StallAction.WAIT:
                        self.act(session, stalled, action)
                        handled += 1
            if len(page) < self.settings.page_size:
                return handled
            after = page[-1].id

    def act(self, session: Session, stalled: Stalled, action: StallAction) -> None:
        context = log.bind(
            submission_id=str(stalled.id),
            status=stalled.status.value,
            stalled_seconds=round(stalled.stalled_seconds),
            redispatch_count=stalled.redispatch_count,
        )
        if action is StallAction.FAIL:
            submission_transition(
                session,
                id=stalled.id,
                to=SubmissionStatus.FAILED,
                data={
                    "failureReason": STALLED,
                    "attemptsMade": stalled.attempts_made,
                    "lastError": stalled.last_error,
                    "stalledSeconds": round(stalled.stalled_seconds),
                    "redispatchCount": stalled.redispatch_count,
                },
            )
            context.error("submission_failed", reason=STALLED)
            return
        outbox_id = submission_redispatch(session, submission_id=stalled.id)
        submission_event_append(
            session,
            submission_id=stalled.id,
            kind=EventKind.REDISPATCHED,
            data={
                "reason": (
                    f"no event for {stalled.stalled_seconds:.0f} s and the broker no longer "
                    f"holds message {stalled.last_message_id}"
                ),
                "stalledSeconds": round(stalled.stalled_seconds),
                "redispatchCount": stalled.redispatch_count + 1,
                "outboxId": str(outbox_id),
                "previousMessageId": str(stalled.last_message_id)
                if stalled.last_message_id
                else None,
            },
        )
        context.warning("submission_redispatched", outbox_id=str(outbox_id))
