"""The built-in grader of writing and speaking: the default when no external grader is set.

``grade_builtin`` turns a question and an answer into the same ``AiResult`` an external
grader's callback becomes, so it takes the one result path (confidence routing, review,
spot checks) unchanged. It is deterministic: the same question, answer and references
always give the same result. The text measures are in domain/text_measures.py, the
criteria in domain/writing_grader.py and domain/speaking_grader.py, the confidence
factors in domain/confidence.py.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from domain.builtin_assessment import BUILTIN_GRADER, Assessment
from domain.callbacks import CRITERIA
from domain.confidence import (
    CONTENT_SIMILARITY,
    LENGTH_HEURISTIC,
    MODEL_CONSISTENCY,
    RULE_VALIDATION,
    Factor,
    Reference,
    combine,
    content_similarity,
    factors_document,
    length_heuristic,
    rule_validation,
    similarity,
)
from domain.enums import FORMAT_SKILL, QuestionFormat, Skill
from domain.results import AiResult
from domain.scoring import band_for_score, round_half_up
from domain.speaking_grader import assess_speaking
from domain.writing_grader import assess_writing, task_number

NO_TRANSCRIPT_REVIEW = "no transcript: the recording must be heard by a reviewer"
DETERMINISTIC = "the built-in grader is deterministic: the same text always gets the same scores"
# Feedback lists stay short enough to read.
FEEDBACK_ITEMS = 5


def references_of(content: Mapping[str, Any]) -> list[Reference]:
    """What the question itself offers to copy: its template, model essay and prompt."""
    scaffolding = content.get("scaffolding") or {}
    found = [
        Reference(kind, str(value))
        for kind, value in (
            ("template", scaffolding.get("template")),
            ("modelEssay", scaffolding.get("modelEssay")),
            ("prompt", content.get("prompt")),
        )
        if value
    ]
    return found


def grade_builtin(
    question_format: QuestionFormat,
    content: Mapping[str, Any],
    answer: Mapping[str, Any],
    others: Sequence[Reference] = (),
    *,
    unanswered: bool = False,
) -> AiResult:
    """The result of a writing or speaking answer; ``others``: other learners' answers.

    ``unanswered``: the database judged the answer blank (grading_answer_blank, the one
    definition), so it is graded as nothing was said, without reading it.
    """
    skill = FORMAT_SKILL[question_format]
    if unanswered:
        return _unanswered(question_format)
    if skill is Skill.WRITING:
        task = 1 if question_format is QuestionFormat.WRITING_TASK_1 else 2
        assessment = assess_writing(
            content, str(answer.get("text") or ""), task=task_number(content, task)
        )
    elif skill is Skill.SPEAKING:
        transcript = str(answer.get("transcript") or "").strip()
        if not transcript:
            return _no_transcript()
        assessment = assess_speaking(content, transcript, _seconds(answer.get("durationSeconds")))
    else:
        raise ValueError(f"the built-in grader grades writing and speaking, not {skill.value}")
    return _result(assessment, [*references_of(content), *others])


def _seconds(value: Any) -> float:
    """The recording's length; 0 (not known) for anything but a finite, positive number."""
    try:
        seconds = float(value or 0)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _result(assessment: Assessment, references: Sequence[Reference]) -> AiResult:
    found = similarity(assessment.text, references)
    factors = {
        MODEL_CONSISTENCY: Factor(None, {"reason": DETERMINISTIC}),
        RULE_VALIDATION: rule_validation(assessment.checks),
        CONTENT_SIMILARITY: content_similarity(found),
        LENGTH_HEURISTIC: length_heuristic(assessment.length_parts),
    }
    scores = [c.score for c in assessment.criteria.values() if c.score is not None]
    overall = round_half_up(statistics.fmean(scores)) if scores else Decimal("0.0")
    broken = [check.name for check in assessment.checks if check.broken]
    cheating = found.verbatim or (found.near_copy and bool(broken))
    if cheating and found.closest is not None:
        assessment.weaknesses.insert(
            0,
            f"Nearly the same wording as the question's {found.closest.kind}"
            if found.closest.submission_id is None
            else "Nearly the same wording as another learner's answer",
        )
    return AiResult(
        overall_score=overall,
        band=band_for_score(overall),
        confidence=combine(factors),
        criteria_scores={name: c.to_json() for name, c in assessment.criteria.items()},
        feedback={
            "strengths": _unique(assessment.strengths),
            "weaknesses": _unique(assessment.weaknesses),
            "suggestions": _unique(assessment.suggestions),
        },
        confidence_factors=factors_document(factors),
        grader=BUILTIN_GRADER,
        review_reason=assessment.review_reason,
        cheating_signal=(
            f"near copy of {found.closest.kind} ({found.highest:.2f})"
            + (f" with broken rules: {', '.join(broken)}" if broken else "")
            if cheating and found.closest is not None
            else None
        ),
    )


def _unanswered(question_format: QuestionFormat) -> AiResult:
    """An exam part the learner left empty: zero on every criterion, beyond doubt."""
    criteria = CRITERIA[FORMAT_SKILL[question_format]]
    return AiResult(
        overall_score=Decimal("0.0"),
        band=None,
        confidence=100,
        criteria_scores={name: {"score": 0.0, "comment": "No answer."} for name in criteria},
        feedback={"strengths": [], "weaknesses": ["No answer was given."], "suggestions": []},
        confidence_factors=None,
        grader=BUILTIN_GRADER,
        certain=True,
    )


def _no_transcript() -> AiResult:
    return AiResult(
        overall_score=None,
        band=None,
        confidence=0,
        criteria_scores={},
        feedback={"strengths": [], "weaknesses": [NO_TRANSCRIPT_REVIEW], "suggestions": []},
        confidence_factors=None,
        grader=BUILTIN_GRADER,
        review_reason=NO_TRANSCRIPT_REVIEW,
    )


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))[:FEEDBACK_ITEMS]
