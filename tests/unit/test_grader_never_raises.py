"""Whatever a learner hands in, the built-in grader grades it or sends it to a person with a
reason: it never raises (a real transcript with a romanized Japanese word once did)."""

from __future__ import annotations

import math
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools import demo_texts as texts
from domain.builtin_grader import grade_builtin
from domain.enums import QuestionFormat
from domain.results import AiResult

F = QuestionFormat
# What the worker hands the grader for each format (the demo questions).
QUESTIONS: dict[QuestionFormat, dict[str, Any]] = {
    F.WRITING_TASK_1: texts.WRITING_TASK_1,
    F.WRITING_TASK_2: texts.WRITING_TASK_2,
    F.SPEAKING_PART_1: {"partNumber": 1, "prompt": "Tell me about your home town."},
    F.SPEAKING_PART_2: texts.SPEAKING_PART_2,
    F.SPEAKING_PART_3: texts.SPEAKING_PART_3,
}
# Thank you very much (romanized Japanese, typed as one word): cefrpy raised IndexError on it.
JAPANESE_THANKS = "doumoarigatougozaimashita"

# Many examples, each a few milliseconds at most; no example database written into the
# work tree, and the same examples on every run (CI reproduces what a developer saw).
MANY = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

romanized = st.sampled_from(
    [
        JAPANESE_THANKS,
        "arigatou",
        "sumimasen",
        "yoroshikuonegaishimasu",
        "Xin chào",
        "cảm ơn",
        "Nguyễn Thị Minh Khai",
        "Việt Nam",
        "đường",
        "phở bò",
        "ngữ pháp",
    ]
)
long_tokens = st.text(alphabet=string.ascii_letters, min_size=15, max_size=60)
odd_pieces = st.sampled_from(
    ["😀", "👍🏽", "e\u0301", "\u0300\u0301\u0302", "\x00", "\x1b[0m", "\u200b", "\ufeff", "\r"]
)
scripts = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z", "Cc"]),
    max_size=40,
)
separators = st.sampled_from([" ", "  ", "\n", "\n\n", ". ", ", ", "! ", "? ", "\t", ""])
english = st.sampled_from(
    ["I", "think", "the", "people", "because", "however", "is", "they", "a", "apple", "um"]
)
piece = st.one_of(romanized, long_tokens, odd_pieces, scripts, english, st.text(max_size=20))


@st.composite
def learner_texts(draw: st.DrawFn) -> str:
    """Text made of words of many kinds, joined as learners join them."""
    pieces = draw(st.lists(st.tuples(piece, separators), max_size=40))
    return "".join(word + gap for word, gap in pieces)


def graded(question_format: QuestionFormat, text: str, seconds: float = 120) -> AiResult:
    content = QUESTIONS[question_format]
    if question_format in (F.WRITING_TASK_1, F.WRITING_TASK_2):
        return grade_builtin(question_format, content, {"text": text})
    answer = {"audioUrl": "https://example.test/a.mp3", "transcript": text}
    return grade_builtin(question_format, content, {**answer, "durationSeconds": seconds})


def assert_graded_or_reviewed(result: AiResult) -> None:
    """A score on every judged criterion within 0-10, or a reason a person must look."""
    assert 0 <= result.confidence <= 100
    if result.overall_score is None:
        assert result.review_reason
        return
    assert 0 <= result.overall_score <= 10
    for name, criterion in result.criteria_scores.items():
        score = criterion["score"]
        assert score is None or 0 <= score <= 10, name
        assert criterion["comment"], name


@MANY
@given(
    question_format=st.sampled_from(list(QUESTIONS)),
    text=learner_texts(),
    seconds=st.one_of(
        st.floats(min_value=0, max_value=10_000), st.sampled_from([math.inf, math.nan, -5.0])
    ),
)
def test_any_text_is_graded_or_sent_to_review_never_raised(
    question_format: QuestionFormat, text: str, seconds: float
) -> None:
    assert_graded_or_reviewed(graded(question_format, text, seconds))


@pytest.mark.parametrize("question_format", list(QUESTIONS))
def test_a_romanized_japanese_thank_you_is_graded(question_format: QuestionFormat) -> None:
    # the interview turn that raised IndexError from inside cefrpy
    text = f"Yes. I enjoyed the interview very much. {JAPANESE_THANKS}. Thank you."
    result = graded(question_format, text)
    assert result.overall_score is not None
    assert_graded_or_reviewed(result)


KIB = 1024
ODD_TEXTS = {
    "only punctuation": "?!... ,,, ;:-- () ... !!!",
    "emoji": "😀 👍🏽 🎉 " * 50,
    "combining marks": "e\u0301\u0302\u0303 " * 200,
    "control characters": "".join(chr(c) for c in range(32)) * 20,
    "non-Latin scripts": "私は学生です。 Я студент. 我是学生。 أنا طالب " * 30,
    "256 KiB": ("Learners write at length, however long it gets. " * 6000)[: 256 * KIB],
}


@pytest.mark.parametrize("question_format", list(QUESTIONS))
@pytest.mark.parametrize("label", list(ODD_TEXTS))
def test_odd_texts_are_graded_or_sent_to_review(
    question_format: QuestionFormat, label: str
) -> None:
    assert_graded_or_reviewed(graded(question_format, ODD_TEXTS[label]))
