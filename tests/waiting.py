"""Wait for a condition with a deadline: tests never sleep a fixed time and hope."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_SECONDS = 0.02


def wait_until(
    condition: Callable[[], bool], *, timeout: float, message: str = "condition not met"
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} within {timeout} s")
        time.sleep(POLL_SECONDS)
