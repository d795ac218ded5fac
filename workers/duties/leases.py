"""Leases: outbox rows left processing by a relay that died go back to pending.

The relay runs the same query on every pass; this duty covers the time when no relay
runs at all, so ``outbox stats`` never shows a row held by a process long gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from db.outbox import outbox_rescue_expired
from workers.duties.scheduled import ScheduledDuty

log = structlog.get_logger("vstep.scheduler")


@dataclass(frozen=True)
class LeaseSettings:
    # OUTBOX_LEASE_SECONDS (workers/assembly.py).
    lease_seconds: float
    # How often leases are checked.
    interval_seconds: float = 15.0


class LeaseDuty(ScheduledDuty[LeaseSettings]):
    """One statement takes back every expired row: nothing waits for a second pass."""

    name = "leases"

    def run_once(self, now: datetime | None = None) -> int:
        with self.session_factory.begin() as session:
            rescued = outbox_rescue_expired(
                session, lease_seconds=self.settings.lease_seconds, now=now
            )
        for outbox_id, held_by in rescued:
            log.warning("outbox_lease_expired", outbox_id=str(outbox_id), held_by=held_by)
        return len(rescued)
