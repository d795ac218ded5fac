"""What a written answer's confidence is computed from: the task's rules and its shape.

Confidence must say how far the built-in grader's score can be trusted, so each check
falls where the measures stop being reliable or the answer is not what the task asks:
far too short (little to judge by), far too long, sentences that cannot be told apart
(no sentence marks, so sentence measures fail), a letter without its greeting and
sign-off, a text off the prompt's topic. An essay normal for its level keeps them all: a
few words short of the minimum is scored as short but not doubted, and a plain-text
answer that lost its line breaks is not taken for one without paragraphs.
"""

from __future__ import annotations

from typing import Any

from domain.builtin_assessment import band_share, ramp
from domain.confidence import Check
from domain.text_measures import TextMeasures
from domain.topic import Topic, covers_prompt_check

# Past this many times the minimum, a text is out of range for the task.
MAX_LENGTH_FACTOR = 3.0
# Shares of the minimum between which a short text goes from doubted to trusted.
SHORT_DOUBTED, SHORT_TRUSTED = 0.4, 0.8
# Mean words per sentence a text with sentence marks keeps; past SENTENCE_SOFT beyond
# them the sentences cannot be told apart.
SENTENCE_WORDS_LOW, SENTENCE_WORDS_HIGH, SENTENCE_SOFT = 6.0, 32.0, 20.0
EXPECTED_PARAGRAPHS = {1: 3, 2: 4}


def length_kept(words: int, min_words: int) -> float:
    if words > min_words * MAX_LENGTH_FACTOR:
        return min_words * MAX_LENGTH_FACTOR / words
    return ramp(words / min_words, SHORT_DOUBTED, SHORT_TRUSTED)


def sentences_kept(m: TextMeasures) -> float:
    return band_share(
        m.mean_sentence_length, SENTENCE_WORDS_LOW, SENTENCE_WORDS_HIGH, soft=SENTENCE_SOFT
    )


def writing_checks(
    m: TextMeasures, min_words: int, topic: Topic, conventions: dict[str, bool], task: int
) -> list[Check]:
    sentences = sentences_kept(m)
    structure = {"meanSentenceWords": round(m.mean_sentence_length, 1)}
    if task == 1:
        # A letter's greeting and sign-off are its format.
        kept = 0.5 * sentences + 0.5 * sum(conventions.values()) / len(conventions)
        structure.update(conventions)
    else:
        kept = sentences
    return [
        Check(
            "wordCount",
            length_kept(m.word_count, min_words),
            {
                "words": m.word_count,
                "min": min_words,
                "max": int(min_words * MAX_LENGTH_FACTOR),
            },
        ),
        Check("structure", kept, structure),
        covers_prompt_check(topic),
    ]


def writing_length_parts(
    m: TextMeasures, min_words: int, task: int, line_breaks: bool
) -> dict[str, tuple[float, Any]]:
    wanted = EXPECTED_PARAGRAPHS[task]
    sentences = ramp(m.sentence_count, 0, min_words / 25)
    # Density and sentence length say little of a text far too short to show them.
    enough = ramp(m.word_count, 0, min_words * SHORT_DOUBTED)
    return {
        "sentences": (
            sentences,
            {"sentences": m.sentence_count, "wanted": round(min_words / 25)},
        ),
        # Without a line break the paragraphs are not known (a plain-text answer loses
        # them): the sentences a text of that many paragraphs has stand in for them.
        "paragraphs": (
            ramp(m.paragraphs, 1, wanted) if line_breaks else sentences,
            {"paragraphs": m.paragraphs if line_breaks else None, "wanted": wanted},
        ),
        "density": (
            enough * band_share(m.content_density, 0.35, 0.65, soft=0.2),
            {"contentWordShare": round(m.content_density, 3), "words": m.word_count},
        ),
        "complexity": (
            enough * sentences_kept(m),
            {"meanSentenceWords": round(m.mean_sentence_length, 1), "words": m.word_count},
        ),
    }
