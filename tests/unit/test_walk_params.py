"""The fixed WALK text's parameters: what a walk may set, and which walks the state map allows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from db.submissions import WALK_COLUMNS, Step, walk_params
from domain.enums import GradingMode, SubmissionStatus
from domain.events import TRANSITION_EVENT, EventKind
from domain.states import allowed_sources

_S = SubmissionStatus
ID = uuid.UUID(int=1)


def test_a_walk_is_guarded_by_its_first_step_and_ends_at_its_last() -> None:
    params = walk_params(ID, [Step(_S.PROCESSING, {"a": 1}), Step(_S.COMPLETED)])
    assert params["to"] == "completed"
    sources = sorted(s.value for s in allowed_sources(_S.PROCESSING))
    assert params["sources"] == "{" + ",".join(sources) + "}"
    assert params["steps"].obj == [
        {"kind": TRANSITION_EVENT[_S.PROCESSING], "data": {"a": 1}},
        {"kind": TRANSITION_EVENT[_S.COMPLETED], "data": None},
    ]
    assert params["values"] is None


def test_an_event_kind_of_its_own_replaces_the_transitions() -> None:
    params = walk_params(ID, [Step(_S.PENDING, None, EventKind.OPERATOR_RETRIED)])
    assert [step["kind"] for step in params["steps"].obj] == [EventKind.OPERATOR_RETRIED.value]


def test_values_travel_as_one_document_postgresql_reads_back_per_column() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    params = walk_params(
        ID,
        [Step(_S.COMPLETED)],
        {
            "score": Decimal("7.5"),
            "grading_mode": GradingMode.AUTO,
            "completed_at": at,
            "reviewer_id": ID,
            "audit_flag": True,
            "confidence": None,
        },
    )
    assert params["values"].obj == {
        "score": "7.5",
        "grading_mode": GradingMode.AUTO.value,
        "completed_at": at.isoformat(),
        "reviewer_id": str(ID),
        "audit_flag": True,
        "confidence": None,
    }


def test_a_column_the_walk_does_not_set_is_refused() -> None:
    assert "status" not in WALK_COLUMNS
    with pytest.raises(ValueError, match="not columns a walk sets"):
        walk_params(ID, [Step(_S.COMPLETED)], {"status": "completed"})


def test_a_walk_the_state_map_forbids_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot go"):
        walk_params(ID, [Step(_S.COMPLETED), Step(_S.PENDING)])
    with pytest.raises(ValueError, match="at least one step"):
        walk_params(ID, [])
