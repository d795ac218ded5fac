"""The built-in writing grader: four criteria 0-10 from what can be counted in the text.

- taskFulfillment: length against the task's minimum, how much of the prompt (and its
  keywords) the text takes up, the task's conventions (a letter's greeting and closing;
  an essay's stated position and conclusion). Multiplied: an off-topic or very short text
  cannot make up for it elsewhere.
- organization: paragraphs against what the task needs, and the variety of linking words.
- vocabulary: the share of words at B1 or above (CEFR), lexical diversity (moving-average
  type-token ratio) and spelling.
- grammar: accuracy (errors our patterns find, per 100 words) and range (the share of
  sentences with a subordinate or relative clause, sentence length).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.builtin_assessment import Assessment, Criterion, band_share, percent, ramp, scaled
from domain.confidence import Check
from domain.text_measures import TextMeasures, coverage, measure

# Minimum words of each task when the question does not say (vstep.md).
DEFAULT_MIN_WORDS = {1: 120, 2: 250}
# Past this many times the minimum, a text is out of range for the task.
MAX_LENGTH_FACTOR = 3.0
EXPECTED_PARAGRAPHS = {1: 3, 2: 4}
# The share of the prompt's content words a text on the task takes up, at least.
FULL_COVERAGE = 0.4
# One distinct linking word for about this many words of the task's minimum.
WORDS_PER_LINKER = 40

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
    covered = coverage(m.content_words, prompt_text(content))
    conventions = _conventions(text, task)
    length_share = _length_share(m.word_count, min_words)
    paragraphs_wanted = EXPECTED_PARAGRAPHS[task]
    linkers_wanted = max(2, min_words // WORDS_PER_LINKER)
    a = Assessment(
        criteria={},
        text=text,
        checks=[
            Check(
                "wordCount",
                length_share,
                {
                    "words": m.word_count,
                    "min": min_words,
                    "max": int(min_words * MAX_LENGTH_FACTOR),
                },
            ),
            Check(
                "structure",
                0.5 * ramp(m.paragraphs, 0, paragraphs_wanted)
                + 0.5 * sum(conventions.values()) / len(conventions),
                {"paragraphs": m.paragraphs, "wanted": paragraphs_wanted, **conventions},
            ),
            Check("coversPrompt", ramp(covered, 0, FULL_COVERAGE), {"coverage": round(covered, 3)}),
        ],
        length_parts={
            "sentences": (
                ramp(m.sentence_count, 0, min_words / 20),
                {"sentences": m.sentence_count, "wanted": round(min_words / 20)},
            ),
            "paragraphs": (
                ramp(m.paragraphs, 0, paragraphs_wanted),
                {"paragraphs": m.paragraphs, "wanted": paragraphs_wanted},
            ),
            "density": (
                band_share(m.content_density, 0.35, 0.65, soft=0.2),
                {"contentWordShare": round(m.content_density, 3)},
            ),
            "complexity": (
                band_share(m.mean_sentence_length, 10, 28, soft=8),
                {"meanSentenceWords": round(m.mean_sentence_length, 1)},
            ),
        },
    )
    a.criteria["taskFulfillment"] = _task_fulfillment(a, m, min_words, covered, conventions, task)
    a.criteria["organization"] = _organization(a, m, paragraphs_wanted, linkers_wanted)
    a.criteria["vocabulary"] = vocabulary(a, m, spelling=True)
    a.criteria["grammar"] = grammar(a, m, spoken=False)
    if covered < OFF_TOPIC_COVERAGE:
        _cap_off_topic(a)
    return a


# Below this share of the prompt's key words a text is off the task: language alone cannot
# carry it, so no other criterion may stand more than OFF_TOPIC_MARGIN above its task score.
OFF_TOPIC_COVERAGE = 0.15
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


def _length_share(words: int, min_words: int) -> float:
    if words < min_words:
        return words / min_words
    ceiling = min_words * MAX_LENGTH_FACTOR
    return ceiling / words if words > ceiling else 1.0


def _conventions(text: str, task: int) -> dict[str, bool]:
    if task == 1:
        return {"greeting": bool(_GREETING.search(text)), "closing": bool(_CLOSING.search(text))}
    return {"position": bool(_POSITION.search(text)), "conclusion": bool(_CONCLUSION.search(text))}


def _task_fulfillment(
    a: Assessment,
    m: TextMeasures,
    min_words: int,
    covered: float,
    conventions: dict[str, bool],
    task: int,
) -> Criterion:
    length = min(1.0, m.word_count / min_words)
    topic = ramp(covered, 0, FULL_COVERAGE)
    kept = sum(conventions.values()) / len(conventions)
    score = scaled(length * (0.3 + 0.7 * topic) * (0.7 + 0.3 * kept))
    missing = [name for name, ok in conventions.items() if not ok]
    comment = (
        f"{m.word_count} words of the {min_words} the task asks for; the text takes up "
        f"{percent(covered)} of the prompt's key words"
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
    if topic < 1:
        a.weaknesses.append(
            f"Covers only {percent(covered)} of the prompt's key words: "
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
    a: Assessment, m: TextMeasures, paragraphs_wanted: int, linkers_wanted: int
) -> Criterion:
    paragraphs = ramp(m.paragraphs, 0, paragraphs_wanted)
    linking = ramp(len(m.linkers), 0, linkers_wanted)
    score = scaled(0.45 * paragraphs + 0.55 * linking)
    shown = ", ".join(f'"{linker}"' for linker in m.linkers[:5]) or "none"
    comment = (
        f"{m.paragraphs} paragraph(s) of the {paragraphs_wanted} expected; "
        f"{len(m.linkers)} different linking words ({shown})."
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


# A text this long can show its range of words and structures; a shorter one earns a
# share of its language scores, from EVIDENCE_FLOOR up (ten words are all "diverse").
EVIDENCE_WORDS = 100
EVIDENCE_FLOOR = 0.4


def evidence(m: TextMeasures) -> float:
    return EVIDENCE_FLOOR + (1 - EVIDENCE_FLOOR) * min(1.0, m.word_count / EVIDENCE_WORDS)


def _thin(m: TextMeasures) -> str:
    if m.word_count >= EVIDENCE_WORDS:
        return ""
    return f" Only {m.word_count} words to judge range by."


def vocabulary(a: Assessment, m: TextMeasures, *, spelling: bool) -> Criterion:
    """Level mix, diversity, word length and (for a written text) spelling; shared with
    speaking. Syllables per word stand for the longer, more precise words (environment,
    responsibility) that level lists rate unevenly."""
    b1 = m.share_at_or_above("B1")
    level = ramp(b1, 0.1, 0.45)
    diversity = ramp(m.diversity, 0.5, 0.8)
    length = ramp(m.syllables_per_word, 1.2, 1.7)
    mix = ", ".join(f"{name} {count}" for name, count in m.levels.items() if count)
    comment = (
        f"{percent(b1)} of the rated words are B1 or above ({mix or 'none rated'}); "
        f"diversity {m.diversity:.2f}; {m.syllables_per_word:.2f} syllables per word"
    )
    if spelling:
        accuracy = 1 - ramp(m.spelling_error_rate, 0, 6)
        score = scaled(
            (0.3 * level + 0.25 * diversity + 0.2 * length + 0.25 * accuracy) * evidence(m)
        )
        shown = ", ".join(m.misspelled[:5])
        comment += f"; {len(m.misspelled)} misspelled word(s)" + (f" ({shown})" if shown else "")
        if m.misspelled:
            a.weaknesses.append(f"Spelling: {shown}.")
            a.suggestions.append("Check the spelling of words you are unsure of.")
    else:
        score = scaled((0.4 * level + 0.35 * diversity + 0.25 * length) * evidence(m))
    if level >= 0.7:
        a.strengths.append(
            f"A good range of vocabulary: {percent(b1)} of rated words at B1 or above."
        )
    else:
        a.suggestions.append(
            "Use more precise, less common words for the topic (B1-B2 level and above)."
        )
    if diversity < 0.5:
        a.weaknesses.append("The same words come back often.")
    return Criterion(score, comment + "." + _thin(m))


def grammar(a: Assessment, m: TextMeasures, *, spoken: bool) -> Criterion:
    """Accuracy and range; shared with speaking."""
    accuracy = 1 - ramp(m.grammar_error_rate, 0, 5)
    complex_share = m.complex_sentences / m.sentence_count if m.sentence_count else 0.0
    if spoken:
        # A transcript rarely has sentence marks: count clause openers per 100 words.
        openers = sum(1 for word in m.lower if word in _CLAUSE_OPENERS)
        range_share = ramp(100 * openers / max(m.word_count, 1), 0, 6)
        seen = f"{openers} clause openers"
    else:
        range_share = 0.7 * ramp(complex_share, 0, 0.5) + 0.3 * ramp(m.mean_sentence_length, 6, 15)
        seen = f"{m.complex_sentences} of {m.sentence_count} sentences complex"
    score = scaled((0.6 * accuracy + 0.4 * range_share) * evidence(m))
    examples = "; ".join(f"{issue.rule}: '{issue.example}'" for issue in m.grammar_issues[:3])
    comment = (
        f"{len(m.grammar_issues)} error(s) found"
        + (f" ({examples})" if examples else "")
        + f"; {seen}."
    )
    if m.grammar_issues:
        a.weaknesses.append(f"Grammar: {examples}.")
        a.suggestions.append("Check subject-verb agreement, articles and sentence boundaries.")
    elif m.word_count:
        a.strengths.append("No grammar errors of the kinds checked.")
    if range_share < 0.5:
        a.suggestions.append(
            "Combine ideas with because, although, which, when ... to vary your sentences."
        )
    return Criterion(score, comment + _thin(m))


_CLAUSE_OPENERS = frozenset(
    "because although though while whereas if unless when which who whose".split()  # noqa: SIM905
)
