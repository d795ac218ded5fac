"""The built-in writing and speaking grader on texts of known quality (devtools/demo_texts.py)."""

from __future__ import annotations

import random
import statistics
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from devtools import demo_texts as texts
from domain import confidence
from domain.builtin_grader import NO_TRANSCRIPT_REVIEW, grade_builtin
from domain.enums import QuestionFormat, ReviewPriority, SubmissionStatus
from domain.results import Action, AiResult, SubmissionState, decide
from domain.review_rules import spot_checked
from domain.speaking_grader import PRONUNCIATION_REVIEW

F = QuestionFormat


def essay(text: str) -> AiResult:
    return grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": text})


def letter(text: str) -> AiResult:
    return grade_builtin(F.WRITING_TASK_1, texts.WRITING_TASK_1, {"text": text})


def talk(transcript: str | None, seconds: int) -> AiResult:
    answer: dict[str, object] = {
        "audioUrl": "https://example.test/a.mp3",
        "durationSeconds": seconds,
    }
    if transcript is not None:
        answer["transcript"] = transcript
    return grade_builtin(F.SPEAKING_PART_3, texts.SPEAKING_PART_3, answer)


def routed(result: AiResult) -> tuple[Action, ReviewPriority | None, bool]:

    request = uuid.uuid4()
    now = datetime(2026, 11, 30, tzinfo=UTC)
    decision = decide(
        SubmissionState(SubmissionStatus.PROCESSING, request, now + timedelta(hours=1), None),
        result,
        request_id=request,
        now=now,
    )
    return decision.action, decision.review_priority, decision.audit_flag


def strictly_descending(scores: Sequence[Decimal | None]) -> bool:
    return all(a is not None and b is not None and a > b for a, b in pairwise(scores))


def test_a_ladder_of_essays_comes_back_in_order() -> None:
    # given essays from excellent to a two-line answer / when graded / then scores fall
    scores = [essay(text).overall_score for _, text in texts.ESSAY_LADDER]
    assert strictly_descending(scores), scores


def test_a_ladder_of_transcripts_comes_back_in_order() -> None:
    scores = [talk(text, seconds).overall_score for _, text, seconds in texts.SPEAKING_LADDER]
    assert strictly_descending(scores), scores


def test_a_good_letter_outranks_a_poor_one_and_a_long_essay_a_short_one() -> None:
    good, poor = (letter(text).overall_score for _, text in texts.LETTER_LADDER)
    assert good is not None and poor is not None and good > poor
    long, short = essay(texts.ESSAY_LADDER[1][1]), essay(texts.ESSAY_LADDER[-1][1])
    assert (
        long.criteria_scores["taskFulfillment"]["score"]
        > short.criteria_scores["taskFulfillment"]["score"]
    )


def test_every_criterion_has_a_score_and_a_comment_saying_what_earned_it() -> None:
    result = essay(texts.ESSAY_LADDER[2][1])
    assert set(result.criteria_scores) == {
        "taskFulfillment",
        "organization",
        "vocabulary",
        "grammar",
    }
    for name, criterion in result.criteria_scores.items():
        assert 0 <= criterion["score"] <= 10 and criterion["score"] * 2 == int(
            criterion["score"] * 2
        ), name
        assert criterion["comment"], name
    assert "words of the 250" in result.criteria_scores["taskFulfillment"]["comment"]
    assert "dont" in result.criteria_scores["vocabulary"]["comment"]  # a spelling error it found
    assert "subject-verb agreement" in result.criteria_scores["grammar"]["comment"]
    assert set(result.feedback or {}) == {"strengths", "weaknesses", "suggestions"}
    assert result.grader.startswith("vstep-builtin/")
    # overallScore is the mean of the criteria, rounded half up
    mean = statistics.fmean(c["score"] for c in result.criteria_scores.values())
    assert float(result.overall_score or 0) == pytest.approx(int(mean * 2 + 0.5) / 2)


def test_the_same_text_always_gets_the_same_result() -> None:
    text = texts.ESSAY_LADDER[1][1]
    assert essay(text) == essay(text)


def test_good_answers_complete_on_their_own() -> None:
    assert routed(essay(texts.ESSAY_LADDER[0][1]))[0] is Action.COMPLETE
    assert routed(letter(texts.LETTER_LADDER[0][1]))[0] is Action.COMPLETE


@pytest.mark.parametrize("label", ["poor", "very short"])
def test_short_essays_go_to_review(label: str) -> None:
    text = dict(texts.ESSAY_LADDER)[label]
    action, priority, audit = routed(essay(text))
    assert (action, audit) == (Action.REVIEW, False)
    assert priority in (ReviewPriority.HIGH, ReviewPriority.CRITICAL)


def test_an_off_topic_essay_is_caught_and_reviewed() -> None:
    result = essay(texts.ESSAY_OFF_TOPIC)
    assert routed(result)[0] is Action.REVIEW
    assert result.confidence_factors is not None
    assert (
        result.confidence_factors[confidence.RULE_VALIDATION]["basis"]["coversPrompt"]["ok"]
        is False
    )
    # language alone does not carry an essay that does not answer the question
    assert (result.overall_score or 0) < (essay(texts.ESSAY_LADDER[1][1]).overall_score or 0)


@pytest.mark.parametrize(
    ("grade", "text", "source"),
    [
        (essay, texts.ESSAY_PROMPT_COPY, "prompt"),
        (essay, texts.ESSAY_MODEL, "modelEssay"),
        (letter, texts.LETTER_TEMPLATE_COPY, "template"),
    ],
    ids=["prompt copy", "model essay copy", "template copy"],
)
def test_copies_go_to_review_as_critical_with_the_audit_flag(grade, text, source) -> None:  # type: ignore[no-untyped-def]
    result = grade(text)
    assert result.cheating_signal is not None and source in result.cheating_signal
    assert routed(result) == (Action.REVIEW, ReviewPriority.CRITICAL, True)
    assert result.confidence_factors[confidence.CONTENT_SIMILARITY]["basis"]["closest"] == source


def test_a_copy_of_another_learners_answer_is_found() -> None:
    original = texts.ESSAY_LADDER[2][1]
    copied = original.split("\n\n")[0] + "\n\n" + original.split("\n\n")[1]
    others = [confidence.Reference("answer of another learner", original, "0000-peer")]
    result = grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": copied}, others)
    assert result.confidence_factors is not None
    basis = result.confidence_factors[confidence.CONTENT_SIMILARITY]["basis"]
    assert basis["closestSubmissionId"] == "0000-peer" and basis["highestCosine"] > 0.6
    assert routed(result) == (Action.REVIEW, ReviewPriority.CRITICAL, True)


def test_speaking_leaves_pronunciation_unjudged_and_goes_to_review() -> None:
    result = talk(texts.SPEAKING_LADDER[0][1], texts.SPEAKING_LADDER[0][2])
    assert result.criteria_scores["pronunciation"]["score"] is None
    assert result.review_reason == PRONUNCIATION_REVIEW
    action, priority, _ = routed(result)
    assert action is Action.REVIEW and priority is not None
    # the mean leaves the unjudged criterion out
    judged = [c["score"] for c in result.criteria_scores.values() if c["score"] is not None]
    assert len(judged) == 4


def test_a_speaking_answer_without_a_transcript_goes_to_review_with_the_reason() -> None:
    result = talk(None, 60)
    assert result.overall_score is None and result.review_reason == NO_TRANSCRIPT_REVIEW
    assert routed(result) == (Action.REVIEW, ReviewPriority.HIGH, False)


def test_the_built_in_graders_model_consistency_is_dropped_and_its_weight_shared() -> None:
    result = essay(texts.ESSAY_LADDER[0][1])
    factors = result.confidence_factors
    assert factors is not None and factors[confidence.MODEL_CONSISTENCY]["computable"] is False
    weights = [f["weight"] for f in factors.values()]
    assert sum(weights) == pytest.approx(1, abs=1e-3)
    assert factors[confidence.RULE_VALIDATION]["weight"] == pytest.approx(25 / 70, abs=1e-4)


def test_spot_checks_hit_their_rate_within_binomial_bounds() -> None:
    rand = random.Random(20261130)
    draws, rate = 10_000, 0.05
    hits = sum(spot_checked(rand, rate) for _ in range(draws))
    sigma = (draws * rate * (1 - rate)) ** 0.5
    assert abs(hits - draws * rate) <= 4 * sigma, hits
    assert not any(spot_checked(rand, 0.0) for _ in range(1000))
    assert all(spot_checked(rand, 1.0) for _ in range(1000))


REMOTE_PROMPT = {
    "taskNumber": 2,
    "prompt": (
        "In many countries, the number of people who work from home has increased rapidly "
        "in recent years, especially after the pandemic. What are the advantages and "
        "disadvantages of working from home for employees and for companies? Give reasons "
        "for your answer and include any relevant examples from your own knowledge or "
        "experience."
    ),
}
PARAPHRASE = (
    "Since the pandemic, remote work has become common. Staff no longer travel to offices "
    "every day, and firms have had to adapt.\n\nFor workers, the main benefit is "
    "flexibility. However, isolation is a real problem.\n\nIn conclusion, I believe that a "
    "hybrid model combines the benefits of both approaches."
)


def test_an_essay_in_its_own_words_is_not_taken_for_an_off_topic_one() -> None:
    # given an on-topic essay that paraphrases a long prompt (few of its words reused)
    result = grade_builtin(F.WRITING_TASK_2, REMOTE_PROMPT, {"text": PARAPHRASE})
    # then the instruction words (reasons, examples, experience ...) are not asked for,
    # word families match (work / workers), and no criterion is capped as off-topic
    assert result.confidence_factors is not None
    checks = result.confidence_factors[confidence.RULE_VALIDATION]["basis"]
    covered = checks["coversPrompt"]["coverage"]
    assert covered >= 0.2
    # (a text of 49 words may still be capped by its language, never as off the task)
    assert not any(
        "does not address the task" in c["comment"] for c in result.criteria_scores.values()
    )
    assert "Capped" not in result.criteria_scores["taskFulfillment"]["comment"]


def test_a_verbatim_copy_of_another_learners_full_essay_is_cheating_even_keeping_every_rule() -> (
    None
):
    # given another learner's essay that keeps every rule, handed in again word for word
    original = texts.ESSAY_LADDER[0][1]
    others = [confidence.Reference("answer of another learner", original, "0000-peer")]
    result = grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": original}, others)
    assert result.confidence_factors is not None
    assert all(
        c["ok"] for c in result.confidence_factors[confidence.RULE_VALIDATION]["basis"].values()
    )
    # then it is a cheating signal all the same: critical, with the audit flag
    assert routed(result) == (Action.REVIEW, ReviewPriority.CRITICAL, True)
