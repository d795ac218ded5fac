"""The built-in writing grader: four criteria 0-10 from what can be counted in the text.

- taskFulfillment: length against the task's minimum, the ideas developed in sentences,
  how much of the prompt (and its keywords) the text takes up (domain/topic.py), the
  task's conventions (a letter's greeting and closing; an essay's stated position and
  conclusion). An off-topic text caps every other criterion near its task score.
- organization: the variety of linking words, paragraphs, a closing that sums up.
- vocabulary and grammar: domain/language_criteria.py (shared with speaking).
The confidence checks are in domain/writing_checks.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.builtin_assessment import Assessment, Criterion, percent, ramp, scaled
from domain.language_criteria import grammar, vocabulary
from domain.scoring import round_half_up
from domain.text_measures import TextMeasures, measure
from domain.topic import Topic, topic_of
from domain.writing_checks import EXPECTED_PARAGRAPHS, writing_checks, writing_length_parts

# Minimum words of each task when the question does not say (docs/scoring.md).
DEFAULT_MIN_WORDS = {1: 120, 2: 250}
# One distinct linking word for about this many words of the task's minimum.
WORDS_PER_LINKER = 40
# A developed answer has about one sentence for this many words of the task's minimum.
WORDS_PER_DEVELOPED_SENTENCE = 20

_GREETING = re.compile(r"^\s*(dear|hi|hello|to whom it may concern)\b", re.IGNORECASE)
_CLOSING = re.compile(
    r"\b(yours (sincerely|faithfully|truly)|best (regards|wishes)|kind regards|regards|"
    r"love|sincerely|warm regards|take care|see you soon)\b",
    re.IGNORECASE,
)
_POSITION = re.compile(
    r"\b(i (strongly )?(believe|think|agree|disagree|feel)|in my (opinion|view)|"
    r"from my (point of view|perspective)|as far as i am concerned)\b",
    re.IGNORECASE,
)
_CONCLUSION = re.compile(
    r"\b(in conclusion|to conclude|to sum up|in summary|all in all|overall|in short)\b",
    re.IGNORECASE,
)


def task_number(content: Mapping[str, Any], default: int) -> int:
    number = content.get("taskNumber")
    return number if number in (1, 2) else default


def prompt_text(content: Mapping[str, Any]) -> str:
    scaffolding = content.get("scaffolding") or {}
    keywords = scaffolding.get("keywords") or []
    parts = [str(content.get("prompt") or ""), " ".join(str(k) for k in keywords)]
    return " ".join(parts)


def assess_writing(content: Mapping[str, Any], text: str, *, task: int) -> Assessment:
    m = measure(text)
    min_words = int(content.get("minWords") or DEFAULT_MIN_WORDS[task])
    topic = topic_of(m.content_words, prompt_text(content))
    conventions = _conventions(text, task)
    paragraphs_wanted = EXPECTED_PARAGRAPHS[task]
    a = Assessment(
        criteria={},
        text=text,
        checks=writing_checks(m, min_words, topic, conventions, task),
        length_parts=writing_length_parts(m, min_words, task, "\n" in text.strip()),
    )
    a.criteria["taskFulfillment"] = _task_fulfillment(a, m, min_words, topic, conventions, task)
    a.criteria["organization"] = _organization(a, m, paragraphs_wanted, min_words)
    a.criteria["vocabulary"] = vocabulary(a, m, spelling=True)
    a.criteria["grammar"] = grammar(a, m, spoken=False)
    _cap_by_language(a)
    if topic.off_topic:
        _cap_off_topic(a)
    return a


# Ideas come across only as far as the language carries them: a text's task and
# organization scores stand at most this far above the mean of its vocabulary and grammar
# (a well-planned essay of broken sentences is not a well-organized one to its reader).
# One point: raters of learners' essays judge the whole through its language (on real
# essays a margin of 2 let length and linking words outrank it).
LANGUAGE_MARGIN = Decimal(1)


def _cap_by_language(a: Assessment) -> None:
    language = [a.criteria[name].score for name in ("vocabulary", "grammar")]
    known = [score for score in language if score is not None]
    cap = round_half_up(sum(known, Decimal(0)) / len(known) + LANGUAGE_MARGIN)
    for name in ("taskFulfillment", "organization"):
        criterion = a.criteria[name]
        if criterion.score is not None and criterion.score > cap:
            a.criteria[name] = Criterion(
                cap,
                f"{criterion.comment} Capped at {cap}: the errors and the range of words and "
                "structures limit how well the ideas come across.",
            )


# An off-topic text: language alone cannot carry it, so no other criterion may stand more
# than OFF_TOPIC_MARGIN above its task score.
OFF_TOPIC_MARGIN = Decimal(2)


def _cap_off_topic(a: Assessment) -> None:
    task_score = a.criteria["taskFulfillment"].score
    assert task_score is not None
    cap = min(Decimal(10), task_score + OFF_TOPIC_MARGIN)
    for name, criterion in a.criteria.items():
        if criterion.score is not None and criterion.score > cap:
            a.criteria[name] = Criterion(
                cap, f"{criterion.comment} Capped at {cap}: the text does not address the task."
            )


def _conventions(text: str, task: int) -> dict[str, bool]:
    if task == 1:
        return {"greeting": bool(_GREETING.search(text)), "closing": bool(_CLOSING.search(text))}
    return {"position": bool(_POSITION.search(text)), "conclusion": bool(_CONCLUSION.search(text))}


def _task_fulfillment(
    a: Assessment,
    m: TextMeasures,
    min_words: int,
    topic: Topic,
    conventions: dict[str, bool],
    task: int,
) -> Criterion:
    """Length against the task's minimum, ideas developed in sentences, the prompt taken up,
    the task's conventions."""
    length = min(1.0, m.word_count / min_words)
    developed = ramp(m.sentence_count, 0, min_words / WORDS_PER_DEVELOPED_SENTENCE)
    kept = sum(conventions.values()) / len(conventions)
    # The topic counts once in the mix and once more as a factor: an answer to another
    # question cannot make up for it in length.
    mix = 0.35 * length + 0.25 * developed + 0.2 * kept + 0.2 * topic.share
    score = scaled(mix * (0.3 + 0.7 * topic.share))
    missing = [name for name, ok in conventions.items() if not ok]
    comment = (
        f"{m.word_count} words of the {min_words} the task asks for, in {m.sentence_count} "
        f"sentence(s); {topic.describe()}"
        + (
            f"; missing: {', '.join(missing)}"
            if missing
            else f"; has its {' and '.join(conventions)}"
        )
        + "."
    )
    if m.word_count < min_words:
        a.weaknesses.append(
            f"Too short: {m.word_count} words, the task asks for at least {min_words}."
        )
        a.suggestions.append(
            f"Develop each point with an example until you reach {min_words} words."
        )
    if topic.share < 1:
        a.weaknesses.append(
            f"Covers only {percent(topic.coverage)} of the prompt's key words: "
            "parts of the task are not addressed."
        )
        a.suggestions.append("Answer every part of the prompt, using its key words.")
    elif length >= 1:
        a.strengths.append("Addresses the prompt at the length the task asks for.")
    for name in missing:
        a.suggestions.append(_CONVENTION_ADVICE[task][name])
    return Criterion(score, comment)


_CONVENTION_ADVICE = {
    1: {
        "greeting": "Open the letter with a greeting (Dear ...,).",
        "closing": "Close the letter with a sign-off (Best regards, Yours sincerely ...).",
    },
    2: {
        "position": "State your own position clearly (In my opinion ..., I believe ...).",
        "conclusion": "End with a conclusion that sums up your view (In conclusion ...).",
    },
}


def _organization(
    a: Assessment, m: TextMeasures, paragraphs_wanted: int, min_words: int
) -> Criterion:
    """Linking words, paragraphs, and a closing that sums up (cohesion and structure)."""
    linkers_wanted = max(2, min_words // WORDS_PER_LINKER)
    linking = ramp(len(m.linkers), 1, linkers_wanted)
    paragraphs = ramp(m.paragraphs, 1, paragraphs_wanted)
    closing = 1.0 if _CONCLUSION.search(a.text) or _CLOSING.search(a.text) else 0.0
    controlled = m.controlled_sentences / m.sentence_count if m.sentence_count else 0.0
    score = scaled(0.4 * linking + 0.3 * controlled + 0.15 * paragraphs + 0.15 * closing)
    shown = ", ".join(f'"{linker}"' for linker in m.linkers[:5]) or "none"
    comment = (
        f"{len(m.linkers)} different linking words ({shown}); {m.controlled_sentences} of "
        f"{m.sentence_count} sentences clearly marked (a capital, an end, not run on); "
        f"{m.paragraphs} paragraph(s) of the {paragraphs_wanted} expected; "
        + ("a closing that sums up." if closing else "no closing that sums up.")
    )
    if m.paragraphs < paragraphs_wanted:
        a.weaknesses.append(
            f"Only {m.paragraphs} paragraph(s); the task needs about {paragraphs_wanted}."
        )
        a.suggestions.append(
            "Give the introduction, each main point and the conclusion a paragraph of its own."
        )
    if linking < 1:
        a.suggestions.append(
            "Link your ideas with words such as however, moreover, as a result, for example."
        )
    elif paragraphs >= 1:
        a.strengths.append(
            "Clearly organised into paragraphs, ideas linked with a range of connectors."
        )
    return Criterion(score, comment)
