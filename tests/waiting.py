"""Wait for a condition with a deadline: tests never sleep a fixed time and hope."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_SECONDS = 0.02


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    message: str | Callable[[], str] = "condition not met",
) -> None:
    """Poll ``condition`` until it holds; AssertionError after ``timeout`` seconds.

    A callable ``message`` is asked at the deadline, so it can say how things stand then
    (an f-string would say how they stood when the wait began).
    """
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            said = message() if callable(message) else message
            raise AssertionError(f"{said} within {timeout} s")
        time.sleep(POLL_SECONDS)
