"""The one loop that runs background duties: the relay and every scheduler duty.

A duty is an object with a ``name``, an ``interval_seconds``, ``run_once(now) -> int``
(rows handled; tests call it directly with a given ``now``) and ``more_waiting``, which
each pass sets: True when it stopped with work left. The loop runs each duty when it is
due, at once again while more waits, and otherwise waits for the next due duty or for a
wake-up (the relay's NOTIFY).

Outages are expected: an ``InfrastructureError`` (database or broker away) makes the
loop back off, doubling up to a cap, and it logs one line when the outage starts and one
when it ends, never one per attempt. Any other error is logged with its traceback and
the loop goes on: one bad pass must not stop supervision.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import structlog

from domain.errors import InfrastructureError

log = structlog.get_logger("vstep.duties")

# The pause after a failed pass while the database or broker is away, doubling to the cap.
OUTAGE_PAUSE_SECONDS = 0.5
OUTAGE_PAUSE_CAP_SECONDS = 5.0
# The longest a waiting loop goes without looking at its stop flag (SIGTERM latency).
STOP_CHECK_SECONDS = 0.25


class Duty(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def interval_seconds(self) -> float:
        """How long to wait after a pass that left nothing waiting."""
        ...

    @property
    def more_waiting(self) -> bool:
        """Set by the last ``run_once``: it stopped with work left, so run it again at once."""
        ...

    def run_once(self, now: datetime | None = None) -> int:
        """One pass; how many rows it handled."""
        ...


class Waker(Protocol):
    """Something that can end the loop's wait early (the relay's LISTEN connection)."""

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True when woken. Raises InfrastructureError."""
        ...

    def close(self) -> None: ...


@dataclass
class Outage:
    """Logs an outage once when it starts and once when it ends, whatever failed meanwhile."""

    logger: structlog.typing.FilteringBoundLogger
    first_pause: float = OUTAGE_PAUSE_SECONDS
    pause_cap: float = OUTAGE_PAUSE_CAP_SECONDS
    started: float | None = None
    attempts: int = 0

    def __post_init__(self) -> None:
        self.pause = self.first_pause

    def failed(self, where: str, exc: BaseException) -> float:
        """Record a failed attempt; returns how long to pause before the next one."""
        self.attempts += 1
        if self.started is None:
            self.started = time.monotonic()
            self.logger.error(
                "outage_started", where=where, error_type=type(exc).__name__, error=str(exc)[:500]
            )
        pause = self.pause
        self.pause = min(self.pause * 2, self.pause_cap)
        # Jitter so several processes do not knock on the recovering server in step.
        return pause * random.uniform(0.8, 1.2)

    def recovered(self, where: str) -> None:
        if self.started is not None:
            self.logger.warning(
                "outage_ended",
                where=where,
                seconds=round(time.monotonic() - self.started, 1),
                failed_attempts=self.attempts,
            )
        self.started = None
        self.attempts = 0
        self.pause = self.first_pause


@dataclass
class DutyLoop:
    duties: Sequence[Duty]
    stop: threading.Event
    waker: Waker | None = None
    logger: structlog.typing.FilteringBoundLogger = field(default_factory=lambda: log)
    outage_pause_seconds: float = OUTAGE_PAUSE_SECONDS
    outage_pause_cap_seconds: float = OUTAGE_PAUSE_CAP_SECONDS

    def __post_init__(self) -> None:
        self.outage = Outage(self.logger, self.outage_pause_seconds, self.outage_pause_cap_seconds)
        self._due = {duty.name: 0.0 for duty in self.duties}

    def run(self) -> None:
        """Run until ``stop`` is set; a pass in flight is finished before returning."""
        try:
            while not self.stop.is_set():
                pause = self.run_due()
                if pause is not None:
                    self.stop.wait(pause)
                    continue
                self.wait_for_next()
        finally:
            if self.waker is not None:
                self.waker.close()

    def run_due(self) -> float | None:
        """Run every due duty once; the pause owed to an outage, or None."""
        for duty in self.duties:
            if self.stop.is_set():
                return None
            if self._due[duty.name] > time.monotonic():
                continue
            try:
                duty.run_once()
            except InfrastructureError as exc:
                return self.outage.failed(duty.name, exc)
            except Exception:
                self.logger.exception("duty_failed", duty=duty.name)
                self._due[duty.name] = time.monotonic() + duty.interval_seconds
                continue
            self.outage.recovered(duty.name)
            pause = 0.0 if duty.more_waiting else duty.interval_seconds
            self._due[duty.name] = time.monotonic() + pause
        return None

    def wait_for_next(self) -> None:
        """Until the next duty is due, a wake-up, or a stop request."""
        deadline = min(self._due.values())
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            step = min(remaining, STOP_CHECK_SECONDS)
            if self.waker is None:
                self.stop.wait(step)
                continue
            try:
                woken = self.waker.wait(step)
            except InfrastructureError as exc:
                self.stop.wait(self.outage.failed("listen", exc))
                return
            if woken:
                self._due = dict.fromkeys(self._due, 0.0)
                return
