"""How confidence combines its factors: the weights of those it can compute, rounded once."""

from __future__ import annotations

import pytest

from domain import confidence


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {
                confidence.MODEL_CONSISTENCY: 80,
                confidence.RULE_VALIDATION: 100,
                confidence.CONTENT_SIMILARITY: 60,
                confidence.LENGTH_HEURISTIC: 50,
            },
            74,
        ),
        # dropped: 25 * 100 + 25 * 60 + 20 * 50 over 70 = 71.43
        (
            {
                confidence.MODEL_CONSISTENCY: None,
                confidence.RULE_VALIDATION: 100,
                confidence.CONTENT_SIMILARITY: 60,
                confidence.LENGTH_HEURISTIC: 50,
            },
            71,
        ),
        # exactly .5 rounds up: (30 * 89 + 25 * 90) / 55 = 89.4545; 20 * 89.5 / 20 = 89.5
        (
            {
                confidence.MODEL_CONSISTENCY: None,
                confidence.RULE_VALIDATION: None,
                confidence.CONTENT_SIMILARITY: None,
                confidence.LENGTH_HEURISTIC: 89.5,
            },
            90,
        ),
        (
            {
                confidence.MODEL_CONSISTENCY: None,
                confidence.RULE_VALIDATION: None,
                confidence.CONTENT_SIMILARITY: None,
                confidence.LENGTH_HEURISTIC: None,
            },
            0,
        ),
        (
            {
                confidence.MODEL_CONSISTENCY: 150,
                confidence.RULE_VALIDATION: 100,
                confidence.CONTENT_SIMILARITY: 100,
                confidence.LENGTH_HEURISTIC: 100,
            },
            100,
        ),
    ],
)
def test_confidence_weights_the_factors_it_can_compute(
    values: dict[str, float | None], expected: int
) -> None:
    assert (
        confidence.combine({name: confidence.Factor(value) for name, value in values.items()})
        == expected
    )


def test_factors_keep_their_exact_values_and_only_the_confidence_is_rounded() -> None:
    # rounding each factor first would move a mean of 89.50002 (-> 90) below the half
    length = confidence.length_heuristic({"sentences": (0.632501, "seen")})
    assert length.value == pytest.approx(63.2501)
    factors = {
        confidence.RULE_VALIDATION: confidence.Factor(100.0),
        confidence.CONTENT_SIMILARITY: confidence.Factor(100.0),
        confidence.LENGTH_HEURISTIC: length,
    }
    assert confidence.combine(factors) == 90  # (2500 + 2500 + 20 * 63.2501) / 70 = 89.50003
    assert confidence.factors_document(factors)[confidence.LENGTH_HEURISTIC]["score"] == 63.3
