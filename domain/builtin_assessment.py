"""What a skill's built-in grader hands back, before confidence and routing are added."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.confidence import Check, clamp01
from domain.scoring import round_half_up

# Named on every result it writes (result.grader): the grader and its version. The
# version changes whenever a change to the rules can change a score.
BUILTIN_GRADER = "vstep-builtin/1.2"


@dataclass(frozen=True)
class Criterion:
    # None: cannot be judged from what the learner handed in.
    score: Decimal | None
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {
            "score": float(self.score) if self.score is not None else None,
            "comment": self.comment,
        }


@dataclass
class Assessment:
    criteria: dict[str, Criterion]
    # The text the answer is compared with others by (an essay, a transcript).
    text: str
    checks: list[Check]
    # The length heuristic's parts: a share 0..1 each, with what was seen.
    length_parts: dict[str, tuple[float, Any]]
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    # A person must look, whatever the confidence (pronunciation, no transcript).
    review_reason: str | None = None


def scaled(share: float) -> Decimal:
    """A share 0..1 as a criterion score 0..10 on the 0.5 grid."""
    return round_half_up(round(10 * clamp01(share), 6))


def ramp(value: float, low: float, high: float) -> float:
    """0 at ``low`` or below, 1 at ``high`` or above, a straight line between."""
    if high == low:
        return 1.0 if value >= high else 0.0
    return clamp01((value - low) / (high - low))


def band_share(value: float, low: float, high: float, *, soft: float) -> float:
    """1 inside [low, high], falling to 0 at ``soft`` beyond either end."""
    if value < low:
        return ramp(value, low - soft, low)
    if value > high:
        return 1 - ramp(value, high, high + soft)
    return 1.0


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"
