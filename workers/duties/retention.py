"""Retention: published outbox rows, processed callbacks and refresh tokens expired or
revoked long ago are deleted once old enough.

Deleted in batches, each its own short transaction, so a large backlog of old rows never
holds locks for long. Pending, processing and failed outbox rows are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import structlog

from db.callbacks import processed_callbacks_purge
from db.outbox_ops import outbox_purge_published
from db.tokens import refresh_tokens_purge
from workers.duties.scheduled import ScheduledDuty

log = structlog.get_logger("vstep.scheduler")


@dataclass(frozen=True, kw_only=True)
class RetentionSettings:
    # Old rows accumulate slowly: once a minute is plenty.
    interval_seconds: float = 60.0
    # Rows deleted per transaction.
    batch_size: int = 1000
    # OUTBOX_, CALLBACK_ and REFRESH_TOKEN_RETENTION_DAYS (workers/assembly.py).
    outbox_days: float
    callback_days: float
    token_days: float


class RetentionDuty(ScheduledDuty[RetentionSettings]):
    """Deletes batch after batch until nothing old is left: nothing waits after a pass."""

    name = "retention"

    def run_once(self, now: datetime | None = None) -> int:
        purged = {
            what: self._drain(partial(purge, older_than=timedelta(days=days), now=now))
            for what, purge, days in (
                ("outbox_rows", outbox_purge_published, self.settings.outbox_days),
                ("processed_callbacks", processed_callbacks_purge, self.settings.callback_days),
                ("refresh_tokens", refresh_tokens_purge, self.settings.token_days),
            )
        }
        if any(purged.values()):
            log.info("retention_purged", **purged)
        return sum(purged.values())

    def _drain(self, delete_batch: Callable[..., int]) -> int:
        total = 0
        while True:
            with self.session_factory.begin() as session:
                deleted = delete_batch(session, limit=self.settings.batch_size)
            total += deleted
            if deleted < self.settings.batch_size:
                return total
