"""Timeouts: a submission still being graded past its SLA deadline fails with TIMEOUT.

pending, queued, processing, error and retrying are eligible; review_pending never times
out (a person is on it). A result that arrives later is stored as late
(docs/grading-pipeline.md#results).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from db.supervision import duty_lock, submissions_fail_timed_out
from workers.duties.scheduled import ScheduledDuty

log = structlog.get_logger("vstep.scheduler")

# How often deadlines are checked; a timeout is noticed at most this late.
INTERVAL_SECONDS = 5.0
# Submissions failed per transaction; a full batch runs again at once.
BATCH_SIZE = 500


@dataclass(frozen=True)
class TimeoutSettings:
    interval_seconds: float = INTERVAL_SECONDS
    batch_size: int = BATCH_SIZE


class TimeoutDuty(ScheduledDuty[TimeoutSettings]):
    """Fails one batch per pass; a full batch says more may be past their deadline."""

    name = "timeouts"

    def __init__(
        self, session_factory: sessionmaker[Session], settings: TimeoutSettings | None = None
    ) -> None:
        super().__init__(session_factory, settings or TimeoutSettings())

    def run_once(self, now: datetime | None = None) -> int:
        self.more_waiting = False
        with self.session_factory.begin() as session:
            if not duty_lock(session, duty=self.name):
                return 0
            failed = submissions_fail_timed_out(session, limit=self.settings.batch_size, now=now)
        self.more_waiting = len(failed) >= self.settings.batch_size
        for row in failed:
            log.warning(
                "submission_timed_out",
                submission_id=str(row.id),
                previous_status=row.previous_status.value,
                deadline=row.deadline.isoformat(),
            )
        return len(failed)
