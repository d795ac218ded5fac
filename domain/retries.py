"""How long to wait before trying again: jittered exponential backoff, as pure arithmetic."""

from __future__ import annotations

import random
from collections.abc import Mapping
from types import MappingProxyType


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


def retry_delay_seconds(
    failures: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    until_deadline: float | None = None,
    rand: random.Random | None = None,
) -> float:
    """How long a retry waits (docs/grading-pipeline.md#retries): the backoff, or longer when
    the grader asked (``retry_after``, its Retry-After), but never over ``cap`` and never
    past the deadline (``until_deadline`` seconds away; past it the submission times out)."""
    pause = backoff_seconds(failures, base=base, cap=cap, rand=rand)
    if retry_after is not None:
        pause = max(pause, retry_after)
    pause = min(pause, cap)
    if until_deadline is not None:
        pause = min(pause, max(0.0, until_deadline))
    return pause


def budget_spent(failures: int, max_retries: int) -> bool:
    """Whether one more grading failure ends the submission (MAX_RETRIES) instead of a retry.

    ``failures`` is what the database recorded under the submission's row lock: its
    ``error`` events since the budget started (at ``submitted``, or at an operator's
    retry, whose event carries ``retryBudget``). Every door a failure comes through (the
    worker, a grader's error callback) asks here with that count, so they spend one
    budget: a redispatched or lost message neither resets nor doubles it.
    """
    return failures >= max_retries


def attempt_number(failures: int) -> int:
    """The attempt being made after ``failures`` failures of the current budget (1 = first)."""
    return failures + 1


# Written in the data of an operator_retried event: the retry budget starts again there
# (grading_budget_failures, migration 0008, reads the key, whatever its value).
FRESH_BUDGET: Mapping[str, str] = MappingProxyType({"retryBudget": "fresh"})
