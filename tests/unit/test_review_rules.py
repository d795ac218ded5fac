"""A review's rules: who may review, the score kept as given and rounded once, its band,
the spot-check draws, and how long a grading retry waits (docs/scoring.md,
docs/grading-pipeline.md#retries)."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import Any

import pytest

from domain.callbacks import CERTIFICATE_BANDS, incoming_of
from domain.enums import GradingMode, Skill, UserRole, VstepBand
from domain.errors import InvalidInput
from domain.messages import parse_grading_callback
from domain.results import AiResult, HumanReview
from domain.retries import retry_delay_seconds
from domain.review_rules import SpotChecks, merge_review, reviewer_refusal

LEARNER = uuid.uuid4()
STAFF = uuid.uuid4()


def review_callback(**data: Any) -> HumanReview:
    incoming = incoming_of(
        parse_grading_callback(
            {
                "eventId": str(uuid.uuid4()),
                "requestId": str(uuid.uuid4()),
                "submissionId": str(uuid.uuid4()),
                "kind": "review",
                "occurredAt": "2026-12-01T10:00:00Z",
                "data": {"reviewerId": str(STAFF), **data},
            }
        ),
        Skill.WRITING,
    )
    assert isinstance(incoming, HumanReview)
    return incoming


@pytest.mark.parametrize(
    ("role", "deleted", "reviewer", "words"),
    [
        (None, False, STAFF, "no user"),
        (UserRole.INSTRUCTOR, True, STAFF, "is deleted"),
        (UserRole.LEARNER, False, STAFF, "is a learner; a reviewer is an admin or instructor"),
        # whatever their role, nobody reviews their own submission
        (UserRole.INSTRUCTOR, False, LEARNER, "the submission's own learner"),
        (UserRole.ADMIN, False, LEARNER, "the submission's own learner"),
    ],
)
def test_only_active_staff_other_than_the_learner_may_review(
    role: UserRole | None, deleted: bool, reviewer: uuid.UUID, words: str
) -> None:
    reason = reviewer_refusal(reviewer, role=role, deleted=deleted, learner_id=LEARNER)
    assert reason is not None and words in reason and str(reviewer) in reason


@pytest.mark.parametrize("role", [UserRole.INSTRUCTOR, UserRole.ADMIN])
def test_instructors_and_admins_may_review(role: UserRole) -> None:
    assert reviewer_refusal(STAFF, role=role, deleted=False, learner_id=LEARNER) is None


def test_a_reviewers_score_is_kept_as_given_with_one_decimal() -> None:
    review = review_callback(overallScore=6.3)
    assert (review.overall_score, review.band) == (Decimal("6.3"), VstepBand.B2)
    # 6.30 is 6.3; a score just under a band counts by the score it would be reported as
    assert review_callback(overallScore="6.30").overall_score == Decimal("6.3")
    assert review_callback(overallScore=5.8, band="B2").band is VstepBand.B2


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"overallScore": 6.35}, "data.overallScore", "1 decimal place"),
        ({"overallScore": 11}, "data.overallScore", "less than or equal to 10"),
        ({"overallScore": 2.0, "band": "A1"}, "data.band", "not a band a score can have"),
        ({"overallScore": 6.3, "band": "B1"}, "data.band", "not the band of the score 6.3"),
        ({"overallScore": 3.0, "band": "B1"}, "data.band", "a score below 4.0 has none"),
    ],
)
def test_a_review_the_rules_refuse_names_its_field(
    data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        review_callback(**data)
    assert refused.value.field == field and words in refused.value.reason


def test_the_bands_a_score_can_have_are_b1_b2_c1() -> None:
    assert CERTIFICATE_BANDS == (VstepBand.B1, VstepBand.B2, VstepBand.C1)


def human(score: str) -> HumanReview:
    given = Decimal(score)
    return HumanReview(reviewer_id=STAFF, overall_score=given, band=None)


@pytest.mark.parametrize(
    ("ai", "given", "expected"),
    [
        # agree: 0.4 * 6.0 + 0.6 * 6.3 = 6.18, rounded once -> 6.0 (not 6.3 -> 6.5 first)
        ("6.0", "6.3", ("6.0", VstepBand.B2, GradingMode.HYBRID, False)),
        # 0.4 * 6.0 + 0.6 * 6.4 = 6.24 -> 6.0; 0.4 * 6.0 + 0.6 * 6.5 = 6.3 -> 6.5
        ("6.0", "6.4", ("6.0", VstepBand.B2, GradingMode.HYBRID, False)),
        ("6.0", "6.5", ("6.5", VstepBand.B2, GradingMode.HYBRID, False)),
        # disagree: the human score stands, rounded once (6.3 -> 6.5), flagged
        ("8.0", "6.3", ("6.5", VstepBand.B2, GradingMode.HUMAN, True)),
    ],
)
def test_the_merge_rounds_once_at_the_end(
    ai: str, given: str, expected: tuple[str, VstepBand, GradingMode, bool]
) -> None:
    score, band, mode, audit = merge_review(Decimal(ai), VstepBand.B2, human(given))
    assert (score, band, mode, audit) == (Decimal(expected[0]), *expected[1:])


def test_a_review_standing_alone_is_rounded_to_the_grid() -> None:
    assert merge_review(None, None, human("3.8")) == (
        Decimal("4.0"),
        VstepBand.B1,
        GradingMode.HUMAN,
        False,
    )


def confident(certain: bool = False) -> AiResult:
    return AiResult(Decimal("7.0"), VstepBand.B2, confidence=95, certain=certain)


def test_spot_checks_with_one_seed_draw_the_same_and_never_for_a_certain_result() -> None:
    first, second = SpotChecks(0.5, seed=42), SpotChecks(0.5, seed=42)
    draws = [first.draw(confident()) for _ in range(64)]
    assert draws == [second.draw(confident()) for _ in range(64)]
    assert draws != [SpotChecks(0.5, seed=43).draw(confident()) for _ in range(64)]
    assert not any(SpotChecks(1.0, seed=1).draw(confident(certain=True)) for _ in range(10))


@pytest.mark.parametrize("failures", [1, 2, 3])
def test_a_retry_after_is_honoured_up_to_the_cap(failures: int) -> None:
    rand = random.Random(1)
    # a grader asking for 30 s is not asked sooner, whatever the backoff
    assert retry_delay_seconds(failures, base=1, cap=300, retry_after=30, rand=rand) == 30
    # one asking for an hour waits the cap, 300 s
    assert retry_delay_seconds(failures, base=1, cap=300, retry_after=3600, rand=rand) == 300


def test_a_retry_never_waits_past_the_deadline() -> None:
    assert retry_delay_seconds(1, base=1, cap=300, retry_after=3600, until_deadline=42.5) == 42.5
    # a deadline already past: at once (the submission times out; the retry finds it so)
    assert retry_delay_seconds(1, base=1, cap=300, retry_after=3600, until_deadline=-5) == 0
    # without Retry-After: the jittered backoff, half to all of base * 2^(n-1)
    assert 2.0 <= retry_delay_seconds(2, base=2, cap=300, until_deadline=1000) <= 4.0
