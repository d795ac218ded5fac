"""Which queue and actor each outbox message_type goes to.

Only message types whose actor this package runs are routed; any other type fails at
the relay as unroutable rather than waiting in a queue nobody consumes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from domain.messages import (
    MESSAGE_TYPE_GRADING_CALLBACK,
    MESSAGE_TYPE_GRADING_REQUEST,
    parse_grading_callback,
    parse_grading_request,
)


@dataclass(frozen=True)
class Route:
    queue_name: str
    actor_name: str
    # Raises InvalidInput naming the bad field; a row that fails it is poison.
    validate: Callable[[object], Any]


GRADE_SUBMISSION = "grade_submission"
APPLY_GRADING_CALLBACK = "apply_grading_callback"

ROUTES: Mapping[str, Route] = MappingProxyType(
    {
        MESSAGE_TYPE_GRADING_REQUEST: Route(
            MESSAGE_TYPE_GRADING_REQUEST, GRADE_SUBMISSION, parse_grading_request
        ),
        MESSAGE_TYPE_GRADING_CALLBACK: Route(
            MESSAGE_TYPE_GRADING_CALLBACK, APPLY_GRADING_CALLBACK, parse_grading_callback
        ),
    }
)
