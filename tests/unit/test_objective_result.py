"""The stored result document of an objective grading (docs/scoring.md#result-documents)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.enums import QuestionFormat, VstepBand
from domain.objective import ObjectiveResult, grade_objective


@pytest.mark.parametrize(
    ("graded_at", "iso"),
    [
        (datetime(2025, 3, 1, 8, 30, tzinfo=UTC), "2025-03-01T08:30:00+00:00"),
        (
            datetime(2025, 3, 1, 15, 30, tzinfo=timezone(timedelta(hours=7))),
            "2025-03-01T15:30:00+07:00",
        ),
    ],
)
def test_result_json_has_the_documented_shape(graded_at: datetime, iso: str) -> None:
    # given a graded result
    result = ObjectiveResult(
        correct_count=3,
        total_count=4,
        score=Decimal("7.5"),
        band=VstepBand.B2,
        items={"1": True, "2": True, "3": True, "4": False},
    )
    # when turned into the stored document
    document = result.to_result_json(graded_at)
    # then the keys, types and values are exactly the documented ones
    assert document == {
        "correctCount": 3,
        "totalCount": 4,
        "score": 7.5,
        "band": "B2",
        "items": {"1": True, "2": True, "3": True, "4": False},
        "gradedAt": iso,
    }
    assert type(document["score"]) is float
    assert type(document["band"]) is str


def test_result_json_without_band_has_null_band() -> None:
    # given a score below B1 / when serialized / then band is None (JSON null)
    result = grade_objective(
        QuestionFormat.READING_MCQ, {}, {"correctAnswers": {"1": "A"}}, {"answers": {}}
    )
    document = result.to_result_json(datetime(2025, 1, 1, tzinfo=UTC))
    assert document["band"] is None
    assert document["score"] == 0.0


def test_result_json_refuses_a_naive_time() -> None:
    # given a time without a zone / when serialized / then it is refused
    result = grade_objective(
        QuestionFormat.READING_MCQ, {}, {"correctAnswers": {"1": "A"}}, {"answers": {}}
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        result.to_result_json(datetime(2025, 1, 1))
