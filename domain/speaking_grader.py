"""The built-in speaking grader: five criteria from the transcript and the recording's length.

- fluency: words per minute (durationSeconds), hesitation markers (um, uh, er ...) and
  repeated words per 100 words;
- grammar and vocabulary: as for writing, without the rules a transcript cannot show
  (capitals, punctuation, spelling);
- discourseManagement: how much of the speaking time was filled with speech, linking
  words, and how much of the prompt (and, in part 2, its options) was taken up;
- pronunciation: not judged. A transcript holds the words, not how they sounded; the
  criterion is null and the result goes to a reviewer who listens to the recording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.builtin_assessment import Assessment, Criterion, band_share, ramp, scaled
from domain.confidence import Check
from domain.language_criteria import grammar, vocabulary
from domain.language_errors import HESITATIONS
from domain.text_measures import TextMeasures, measure
from domain.topic import Topic, covers_prompt_check, topic_of

# A steady speaker of a second language: about this many words per minute.
WPM_LOW, WPM_HIGH = 100.0, 170.0
# Below this pace fluency's speed part is nil.
WPM_FLOOR = 40.0
# Mean words between hesitations: a halting speaker's few, a fluent one's many.
RUN_LOW, RUN_HIGH = 3.0, 12.0
# Repeated words (repairs, restarts) per 100 words at which that part is nil.
REPAIRS_CEILING = 6.0
# Speech filling the speaking time at this pace is "long enough".
EXPECTED_WPM = 90.0
# Grace over the speaking time before the limit counts as broken.
TIME_GRACE_SECONDS = 15.0
MIN_WORDS = 30
PRONUNCIATION_REVIEW = "pronunciation cannot be judged from a transcript: a reviewer listens"


def prompt_text(content: Mapping[str, Any]) -> str:
    options = content.get("options") or []
    return " ".join([str(content.get("prompt") or ""), *(str(option) for option in options)])


def assess_speaking(content: Mapping[str, Any], transcript: str, duration: float) -> Assessment:
    m = measure(transcript, spoken=True)
    minutes = duration / 60 if duration > 0 else 0.0
    wpm = m.word_count / minutes if minutes else 0.0
    allotted = float(content.get("speakingSeconds") or duration or 0)
    expected_words = max(MIN_WORDS, int(allotted / 60 * EXPECTED_WPM))
    topic = topic_of(m.content_words, prompt_text(content))
    checks = [
        Check(
            "wordCount",
            min(1.0, m.word_count / expected_words),
            {"words": m.word_count, "min": expected_words},
        ),
        covers_prompt_check(topic),
    ]
    if content.get("speakingSeconds"):
        over = duration - allotted - TIME_GRACE_SECONDS
        checks.append(
            Check(
                "timeLimit",
                1.0 if over <= 0 else max(0.0, 1 - over / allotted),
                {"durationSeconds": duration, "speakingSeconds": allotted},
            )
        )
    a = Assessment(
        criteria={},
        text=transcript,
        checks=checks,
        length_parts={
            "words": (
                min(1.0, m.word_count / expected_words),
                {"words": m.word_count, "wanted": expected_words},
            ),
            "density": (
                band_share(m.content_density, 0.3, 0.6, soft=0.2),
                {"contentWordShare": round(m.content_density, 3)},
            ),
        },
        review_reason=PRONUNCIATION_REVIEW,
    )
    hesitation_rate = 100 * m.hesitations / m.word_count if m.word_count else 0.0
    a.criteria["grammar"] = grammar(a, m, spoken=True)
    a.criteria["vocabulary"] = vocabulary(a, m, spelling=False)
    a.criteria["pronunciation"] = Criterion(
        None, "Not judged: a transcript does not show how the words sounded."
    )
    a.criteria["fluency"] = _fluency(a, m, wpm, hesitation_rate)
    a.criteria["discourseManagement"] = _discourse(a, m, expected_words, topic)
    return a


def _fluency(a: Assessment, m: TextMeasures, wpm: float, hesitation_rate: float) -> Criterion:
    """Speed (words per minute), the mean run of words between hesitations, and repairs
    (a word said twice, a restart) per 100 words: the research's measures of fluency."""
    pace = band_share(wpm, WPM_LOW, WPM_HIGH, soft=WPM_LOW - WPM_FLOOR)
    run = mean_run(m.lower)
    runs = ramp(run, RUN_LOW, RUN_HIGH)
    repairs = 1 - ramp(100 * m.repetitions / max(m.word_count, 1), 0, REPAIRS_CEILING)
    score = scaled(0.4 * pace + 0.3 * runs + 0.3 * repairs)
    comment = (
        f"{wpm:.0f} words per minute; {run:.1f} words on average between hesitations "
        f"({m.hesitations} hesitations, {hesitation_rate:.1f} per 100 words); "
        f"{m.repetitions} repeated word(s)."
    )
    if pace < 1:
        a.weaknesses.append(
            f"Pace of {wpm:.0f} words per minute, outside {WPM_LOW:.0f}-{WPM_HIGH:.0f}."
        )
        a.suggestions.append("Practise speaking on a topic for the full time at a steady pace.")
    if runs < 0.7:
        a.weaknesses.append(f"Frequent hesitations ({m.hesitations}).")
        a.suggestions.append(
            "Use short pauses or phrases (Well, Let me think) instead of um and uh."
        )
    if pace >= 1 and runs >= 0.7:
        a.strengths.append("Speaks at a steady pace with few hesitations.")
    return Criterion(score, comment)


def mean_run(lower: Sequence[str]) -> float:
    """Mean number of words said between two hesitations (mean length of run)."""
    runs, current = [], 0
    for word in lower:
        if word in HESITATIONS:
            if current:
                runs.append(current)
            current = 0
        else:
            current += 1
    if current:
        runs.append(current)
    return sum(runs) / len(runs) if runs else 0.0


def _discourse(a: Assessment, m: TextMeasures, expected_words: int, topic: Topic) -> Criterion:
    filled = min(1.0, m.word_count / expected_words)
    linking = ramp(len(m.linkers), 0, max(2, expected_words // 40))
    score = scaled(0.4 * filled + 0.4 * linking + 0.2 * topic.share)
    shown = ", ".join(f'"{linker}"' for linker in m.linkers[:5]) or "none"
    comment = (
        f"{m.word_count} words of about {expected_words} for the time; {len(m.linkers)} "
        f"linking words ({shown}); {topic.describe()}."
    )
    if filled < 1:
        a.weaknesses.append("The answer is short for the time given.")
        a.suggestions.append("Extend each idea with a reason and an example.")
    if topic.share < 1:
        a.weaknesses.append("Parts of the question are not addressed.")
    if linking >= 1 and filled >= 1:
        a.strengths.append("Ideas are developed and linked.")
    return Criterion(score, comment)
