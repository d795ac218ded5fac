"""What the scheduler does with a quiet submission: the rule, apart from the queries.

The stall duty and ``submission list --stuck`` both ask it, so what an operator is
shown is what the scheduler will do.
"""

from __future__ import annotations

from enum import StrEnum


class StallAction(StrEnum):
    # The broker still holds its message: a backlog, not a loss.
    WAIT = "wait"
    # Lost: a new grading.request row for the same request.
    REDISPATCH = "redispatch"
    # Sent again too often already: failed with STALLED.
    FAIL = "fail"


def stall_action(
    *,
    held_by_broker: bool,
    redispatch_count: int,
    max_redispatch: int,
    awaiting_grader: bool = False,
) -> StallAction:
    """``awaiting_grader``: its newest event says an external grader took the request. A
    slow grader is no lost message: once asked often enough it is left to its deadline
    (the timeout duty) rather than failed as stalled before its SLA is up."""
    if held_by_broker:
        return StallAction.WAIT
    if redispatch_count >= max_redispatch:
        return StallAction.WAIT if awaiting_grader else StallAction.FAIL
    return StallAction.REDISPATCH
