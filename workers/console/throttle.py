"""Sign-in attempts limited per account and per address (in the console's memory).

Failures are counted in a sliding window; past the limit, sign-in is refused without
checking the password until the oldest failure leaves the window. An unknown email is
counted like any other, so the limit says nothing about which accounts exist.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

# Failed sign-ins allowed per account and per address within the window.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60
# Keys kept at most (the oldest go first): a flood of made-up emails cannot fill memory.
MAX_KEYS = 50_000


@dataclass
class SignInThrottle:
    account_failures: int = ACCOUNT_FAILURES
    address_failures: int = ADDRESS_FAILURES
    window_seconds: float = WINDOW_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        return times

    def wait_seconds(self, *, email: str, address: str, now: float) -> float:
        """0 when a sign-in may be tried now, else how long until it may."""
        with self._lock:
            waits = []
            for key, limit in (
                (f"a:{email.lower()}", self.account_failures),
                (f"i:{address}", self.address_failures),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window_seconds - now)
            return max(waits, default=0.0)

    def failed(self, *, email: str, address: str, now: float) -> None:
        with self._lock:
            for key in (f"a:{email.lower()}", f"i:{address}"):
                self._failures.setdefault(key, deque()).append(now)
            while len(self._failures) > MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, *, email: str) -> None:
        with self._lock:
            self._failures.pop(f"a:{email.lower()}", None)
