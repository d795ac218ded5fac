"""What a reviewer's score on each criterion means: short descriptors per score range.

Shown beside each criterion's input in the review workspace, so reviewers score against
the same words. Ranges are inclusive lower bounds on the 0-10 scale.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from domain.callbacks import CRITERIA
from domain.enums import Skill
from domain.scoring import round_half_up

DESCRIPTORS: dict[str, tuple[tuple[int, str], ...]] = {
    "taskFulfillment": (
        (9, "every part of the task answered fully, a clear position held throughout"),
        (7, "all parts answered, ideas developed with relevant support"),
        (5, "the task answered in part; some ideas thin or off the point"),
        (3, "little of the task answered; ideas unclear or repeated"),
        (0, "off-topic, far too short, or no answer"),
    ),
    "organization": (
        (9, "paragraphs and linking make the argument effortless to follow"),
        (7, "clear paragraphs, varied and correct linking words"),
        (5, "some paragraphing; linking mechanical or repetitive"),
        (3, "hardly organised; ideas jump without links"),
        (0, "no recognisable organisation"),
    ),
    "vocabulary": (
        (9, "wide, precise and natural word choice, rare slips"),
        (7, "good range at B2, some less common words used well"),
        (5, "adequate for the task, repetition and some wrong choices"),
        (3, "basic words only, errors get in the way of meaning"),
        (0, "too few words to judge"),
    ),
    "grammar": (
        (9, "a wide range of structures, nearly free of errors"),
        (7, "complex sentences used, errors rare and minor"),
        (5, "simple sentences mostly correct, complex ones often wrong"),
        (3, "frequent errors, even in simple sentences"),
        (0, "no control of sentence forms"),
    ),
    "pronunciation": (
        (9, "easy to understand throughout, natural stress and intonation"),
        (7, "clear, with occasional mispronounced words"),
        (5, "understandable with effort; accent sometimes hides meaning"),
        (3, "often hard to understand"),
        (0, "cannot be judged or not understandable"),
    ),
    "fluency": (
        (9, "speaks at length without effort, hesitation only to think"),
        (7, "steady pace, some hesitation and self-correction"),
        (5, "keeps going but with many pauses and repetitions"),
        (3, "short turns, long pauses"),
        (0, "almost no continuous speech"),
    ),
    "discourseManagement": (
        (9, "develops the topic fully and coherently, uses the whole time"),
        (7, "relevant and extended, with clear links between ideas"),
        (5, "relevant but short or loosely connected"),
        (3, "minimal, often off the point"),
        (0, "no relevant contribution"),
    ),
}


def criteria_of(skill: Skill) -> tuple[str, ...]:
    return CRITERIA.get(skill, ())


def overall_of(scores: dict[str, Decimal | None]) -> Decimal | None:
    """The overall is the mean of the criteria with a score, rounded half up to 0.5
    (docs/scoring.md#numbers); None when no criterion has one."""
    given = [Fraction(value) for value in scores.values() if value is not None]
    if not given:
        return None
    return round_half_up(sum(given, Fraction(0)) / len(given))
