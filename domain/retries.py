"""How long to wait before trying again: jittered exponential backoff, as pure arithmetic."""

from __future__ import annotations

import random


def backoff_seconds(
    failures: int, *, base: float, cap: float, rand: random.Random | None = None
) -> float:
    """The pause after the ``failures``-th failure (1 = the first): ``base * 2^(n-1)``,
    capped, then jittered down to half of it so retries of many jobs spread out."""
    if failures < 1:
        return 0.0
    # The exponent is bounded first: 2**10_000 would overflow a float.
    ceiling = min(cap, base * 2.0 ** min(failures - 1, 62))
    return ceiling * (rand or random).uniform(0.5, 1.0)
