"""The duty loop: outages back off and are reported once; other errors never stop it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from structlog.testing import capture_logs

from domain.errors import DatabaseUnavailable
from workers.duty_loop import DutyLoop


@dataclass
class ScriptedDuty:
    """A duty whose passes follow a script: a number of rows, or an exception to raise."""

    script: list[int | BaseException]
    stop: threading.Event
    name: str = "scripted"
    interval_seconds: float = 0.01
    batch_size: int = 100
    more_waiting: bool = False
    calls: int = 0
    seen: list[str] = field(default_factory=list)

    def run_once(self, now: datetime | None = None) -> int:
        self.calls += 1
        self.seen.append("run")
        if not self.script:
            self.stop.set()
            return 0
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        # As the timeout duty: a full batch says more may wait.
        self.more_waiting = step >= self.batch_size
        return step


@dataclass
class RecordingWaker:
    """Never wakes the loop; notes each wait in the duty's record."""

    duty: ScriptedDuty
    waits: list[float] = field(default_factory=list)

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        self.duty.seen.append("wait")
        self.duty.stop.wait(timeout)
        return False

    def close(self) -> None:
        pass


def run(duty: ScriptedDuty, **loop: Any) -> list[MutableMapping[str, Any]]:
    with capture_logs() as logs:
        DutyLoop(
            [duty],
            duty.stop,
            logger=structlog.get_logger("test"),
            outage_pause_seconds=0.01,
            outage_pause_cap_seconds=0.02,
            **loop,
        ).run()
    return logs


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends() -> None:
    stop = threading.Event()
    down = DatabaseUnavailable("connection refused")
    duty = ScriptedDuty([down, down, down, down, 3], stop)
    logs = run(duty)
    events = [entry["event"] for entry in logs]
    assert events == ["outage_started", "outage_ended"]
    assert logs[1]["failed_attempts"] == 4
    assert duty.calls == 6  # four failures, the recovery, the pass that stops the test


def test_any_other_error_is_logged_and_the_loop_goes_on() -> None:
    stop = threading.Event()
    duty = ScriptedDuty([RuntimeError("a bug"), 1, RuntimeError("again")], stop)
    logs = run(duty)
    assert [entry["event"] for entry in logs] == ["duty_failed", "duty_failed"]
    assert duty.calls == 4


def test_a_full_batch_runs_again_at_once_and_a_short_one_waits_the_interval() -> None:
    stop = threading.Event()
    duty = ScriptedDuty([100, 100, 5], stop, interval_seconds=0.05)
    waker = RecordingWaker(duty)
    run(duty, waker=waker)
    # the two full batches ran back to back; only after the short one did the loop wait
    assert duty.seen[:3] == ["run", "run", "run"]
    assert duty.seen[3] == "wait" and duty.seen[-1] == "run"
    assert all(0 < w <= 0.05 for w in waker.waits)


def test_the_loop_follows_what_the_duty_says_waits_not_its_count() -> None:
    stop = threading.Event()

    @dataclass
    class Draining(ScriptedDuty):
        """Handles many rows per pass yet drains all it finds (as retention does)."""

        def run_once(self, now: datetime | None = None) -> int:
            handled = super().run_once(now)
            self.more_waiting = False
            return handled

    duty = Draining([1000, 1000], stop, interval_seconds=0.05)
    run(duty, waker=RecordingWaker(duty))
    # every pass, however large, was followed by a wait: never two passes back to back
    assert duty.seen[:2] == ["run", "wait"]
    assert ("run", "run") not in itertools.pairwise(duty.seen)


def test_a_slow_external_grader_is_left_to_its_deadline_not_failed_as_stalled() -> None:
    from domain.supervision import StallAction, stall_action

    def action(**kwargs: Any) -> StallAction:
        return stall_action(max_redispatch=3, **kwargs)

    assert action(held_by_broker=True, redispatch_count=0) is StallAction.WAIT
    assert action(held_by_broker=False, redispatch_count=2) is StallAction.REDISPATCH
    assert action(held_by_broker=False, redispatch_count=3) is StallAction.FAIL
    assert (
        action(held_by_broker=False, redispatch_count=3, awaiting_grader=True) is StallAction.WAIT
    )
