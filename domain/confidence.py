"""Confidence in a machine grade (docs/scoring.md#confidence-and-routing): four factors, 0-100 each.

- modelConsistency (30%): how steady the grader is. The built-in grader is deterministic,
  so there is nothing to measure: not computable. An external grader reports it.
- ruleValidation (25%): the task's rules, each check a share 0..1 (1 = kept), multiplied:
  every rule must hold for full marks, and one badly broken rule sinks the factor.
- contentSimilarity (25%): ``(1 - cosine) * 100`` against the question's template, model
  essay and prompt and other learners' answers to the same question. The vectors count
  runs of three words, so the cosine measures copied wording rather than a shared topic:
  two honest essays on one prompt share topic words but few three-word runs.
- lengthHeuristic (20%): sentence count, paragraphing, vocabulary density, sentence
  complexity, each against what the task calls for.

A factor that cannot be computed is dropped and its weight shared out among the others.
The result is clamped to 0-100 and rounded half up to an integer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from domain.text_similarity import cosine, shingles

MODEL_CONSISTENCY = "modelConsistency"
RULE_VALIDATION = "ruleValidation"
CONTENT_SIMILARITY = "contentSimilarity"
LENGTH_HEURISTIC = "lengthHeuristic"
WEIGHTS: dict[str, int] = {
    MODEL_CONSISTENCY: 30,
    RULE_VALIDATION: 25,
    CONTENT_SIMILARITY: 25,
    LENGTH_HEURISTIC: 20,
}
# How many of other learners' latest answers to the question an answer is compared with.
PEER_ANSWERS_COMPARED = 50
# A near copy: this much of the wording is shared with one reference. Honest answers to
# the demo prompts stay under 0.2 against their model essay; a filled-in template is
# about 0.7 (its blanks are the only words that differ).
NEAR_COPY_SIMILARITY = 0.6
# A verbatim copy: nearly every run of three words is shared. A clear signal on its own,
# whatever rules the copy happens to keep.
VERBATIM_SIMILARITY = 0.9


@dataclass(frozen=True)
class Factor:
    """One factor's exact value 0..100 (None: not computable) and what it was computed from."""

    value: float | None
    basis: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One rule of the task: how well it is kept (0..1) and what was seen."""

    name: str
    kept: float
    detail: dict[str, Any]

    @property
    def broken(self) -> bool:
        return self.kept < 1


@dataclass(frozen=True)
class Reference:
    """A text an answer is compared with: what it is, and its words."""

    kind: str
    text: str
    # The other learner's submission, for an answer of another learner.
    submission_id: str | None = None


@dataclass(frozen=True)
class Similarity:
    highest: float
    closest: Reference | None
    compared: int

    @property
    def near_copy(self) -> bool:
        return self.highest >= NEAR_COPY_SIMILARITY

    @property
    def verbatim(self) -> bool:
        return self.highest >= VERBATIM_SIMILARITY


def clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def rule_validation(checks: Sequence[Check]) -> Factor:
    kept = math.prod(check.kept for check in checks) if checks else 1.0
    return Factor(
        100 * kept,
        {
            check.name: {"kept": round(check.kept, 3), "ok": not check.broken, **check.detail}
            for check in checks
        },
    )


def similarity(answer: str, references: Sequence[Reference]) -> Similarity:
    mine = shingles(answer)
    highest, closest = 0.0, None
    for reference in references:
        value = cosine(mine, shingles(reference.text))
        if value > highest:
            highest, closest = value, reference
    return Similarity(highest, closest, len(references))


def content_similarity(found: Similarity) -> Factor:
    basis: dict[str, Any] = {
        "highestCosine": round(found.highest, 3),
        "compared": found.compared,
        "measure": "cosine of three-word-run counts",
    }
    if found.closest is not None:
        basis["closest"] = found.closest.kind
        if found.closest.submission_id is not None:
            basis["closestSubmissionId"] = found.closest.submission_id
    return Factor((1 - found.highest) * 100, basis)


def length_heuristic(parts: Mapping[str, tuple[float, Any]]) -> Factor:
    """The mean of its parts (each 0..1, with what was seen)."""
    if not parts:
        return Factor(None, {"reason": "nothing to measure"})
    value = 100 * sum(share for share, _ in parts.values()) / len(parts)
    return Factor(
        value,
        {name: {"share": round(share, 3), "seen": seen} for name, (share, seen) in parts.items()},
    )


def combine(factors: Mapping[str, Factor]) -> int:
    """Weighted mean of the computable factors, clamped and rounded half up to an integer."""
    present = {name: f.value for name, f in factors.items() if f.value is not None}
    weight = sum(WEIGHTS[name] for name in present)
    if not weight:
        return 0
    exact = sum(Fraction(WEIGHTS[name]) * Fraction(str(v)) for name, v in present.items())
    mean = min(Fraction(100), max(Fraction(0), exact / weight))
    return math.floor(mean + Fraction(1, 2))


def factors_document(factors: Mapping[str, Factor]) -> dict[str, Any]:
    """``result.confidenceFactors``: each factor's value, its weight after sharing out, why."""
    weight = sum(WEIGHTS[name] for name, f in factors.items() if f.value is not None)
    # Rounded for reading only: confidence is computed from the exact values.
    return {
        name: {
            "score": round(factor.value, 1) if factor.value is not None else None,
            "weight": round(WEIGHTS[name] / weight, 4) if factor.value is not None else 0,
            "computable": factor.value is not None,
            "basis": factor.basis,
        }
        for name, factor in factors.items()
    }
