"""Vocabulary and grammar, for writing and speaking alike: measures that carry a learner's
level, not the length of the text.

What the research on learner language finds to rise with proficiency, each taken per word
or per sentence so that a long weak text does not pass for a strong one:
- vocabulary: lexical diversity that does not fall with length (moving-average type-token
  ratio), lexical range (Guiraud's index: different words over the square root of the
  words), sophistication (the share of correctly spelled words beyond the 2,000 commonest)
  and, in writing, spelling (misspelled words per 100 words);
- grammar: accuracy (errors per 100 words, domain/language_errors.py) and range (less
  common structures per 100 words: although, which, whereas, passives; and in writing,
  sentences neither fragments nor run-ons).
Every comment says what earned the score, with counts and examples.
"""

from __future__ import annotations

import math

from domain.builtin_assessment import Assessment, Criterion, band_share, percent, ramp, scaled
from domain.text_measures import TextMeasures

# A text this long can show its range of words and structures; a shorter one earns a
# share of its language scores, from EVIDENCE_FLOOR up (ten words are all "diverse").
EVIDENCE_WORDS = 100
EVIDENCE_FLOOR = 0.4
# Moving-average type-token ratio (windows of 50 words): a text repeating a handful of
# words sits near the low end, one with a B2-C1 writer's range near the high end.
DIVERSITY_LOW, DIVERSITY_HIGH = 0.60, 0.80
# Guiraud's index of a learner who draws on a narrow stock of words, and of a wide one
# (about 5 in a short A2 text; 10 and more in a long B2-C1 one).
RANGE_LOW, RANGE_HIGH = 5.0, 10.0
# Share of the correctly spelled words beyond the commonest 2,000.
LESS_COMMON_LOW, LESS_COMMON_HIGH = 0.04, 0.18
# Misspelled words per 100 words at which spelling earns nothing.
SPELLING_CEILING = 5.0
# Errors per 100 words at which accuracy earns nothing. The patterns find only the errors
# that are certain from a word's neighbours, a fraction of all a learner makes: five found
# per 100 words is a text where errors get in the way of nearly every sentence.
ERRORS_CEILING = 5.0
# Less common structures per 100 words for full range.
STRUCTURES_FULL = 2.0
# Words per utterance of a speaker who strings clauses together, and of one who cannot.
UTTERANCE_LOW, UTTERANCE_HIGH = 3.0, 12.0
# Accuracy's part of grammar; our patterns find fewer of a speaker's errors (no
# punctuation or capitals to read), so range weighs more in speech.
WRITTEN_ACCURACY_WEIGHT = 0.7
SPOKEN_ACCURACY_WEIGHT = 0.5


def evidence(m: TextMeasures) -> float:
    return EVIDENCE_FLOOR + (1 - EVIDENCE_FLOOR) * min(1.0, m.word_count / EVIDENCE_WORDS)


def _thin(m: TextMeasures) -> str:
    if m.word_count >= EVIDENCE_WORDS:
        return ""
    return f" Only {m.word_count} words to judge range by."


def vocabulary(a: Assessment, m: TextMeasures, *, spelling: bool) -> Criterion:
    diversity = ramp(m.diversity, DIVERSITY_LOW, DIVERSITY_HIGH)
    # A text of n words shows at most sqrt(n) on that index: one under EVIDENCE_WORDS is
    # measured against what its length can show (its shortness is weighed by evidence()).
    reach = min(1.0, math.sqrt(m.word_count / EVIDENCE_WORDS))
    word_range = ramp(m.lexical_range, RANGE_LOW * reach, RANGE_HIGH * reach)
    sophistication = ramp(m.less_common_share, LESS_COMMON_LOW, LESS_COMMON_HIGH)
    examples = ", ".join(m.less_common[:5])
    mix = ", ".join(f"{name} {count}" for name, count in m.levels.items() if count)
    comment = (
        f"diversity {m.diversity:.2f} (moving-average type-token ratio); "
        f"{m.word_types} different words in {m.word_count}, a range of "
        f"{m.lexical_range:.1f} (different words over the square root of the words; "
        f"{RANGE_LOW:.0f} narrow, {RANGE_HIGH:.0f} wide); "
        f"{percent(m.less_common_share)} of the words are beyond the 2,000 commonest"
        + (f" ({examples})" if examples else "")
        + f"; CEFR levels of the content words: {mix or 'none rated'}"
    )
    if spelling:
        accuracy = 1 - ramp(m.spelling_error_rate, 0, SPELLING_CEILING)
        share = 0.3 * diversity + 0.3 * word_range + 0.1 * sophistication + 0.3 * accuracy
        shown = ", ".join(m.misspelled[:5])
        comment += f"; {len(m.misspelled)} misspelled word(s)" + (f" ({shown})" if shown else "")
        if m.misspelled:
            a.weaknesses.append(f"Spelling: {shown}.")
            a.suggestions.append("Check the spelling of words you are unsure of.")
    else:
        share = 0.4 * diversity + 0.4 * word_range + 0.2 * sophistication
    if sophistication >= 0.7 and diversity >= 0.5:
        a.strengths.append(
            f"A wide vocabulary: {percent(m.less_common_share)} of the words are less common ones."
        )
    else:
        a.suggestions.append(
            "Use more precise, less common words for the topic instead of general ones."
        )
    if diversity < 0.5:
        a.weaknesses.append("The same words come back often.")
    if word_range < 0.3:
        a.weaknesses.append(
            f"A narrow range of words: {m.word_types} different words in {m.word_count}."
        )
    return Criterion(scaled(share * evidence(m)), comment + "." + _thin(m))


def grammar(a: Assessment, m: TextMeasures, *, spoken: bool) -> Criterion:
    accuracy = 1 - ramp(m.grammar_error_rate, 0, ERRORS_CEILING)
    structures = ramp(m.structure_rate, 0, STRUCTURES_FULL)
    shown = ", ".join(list(dict.fromkeys(m.structures))[:4])
    seen = f"{len(m.structures)} less common structure(s)" + (f" ({shown})" if shown else "")
    if spoken:
        # Longer utterances carry more clauses (mean length of utterance), where a
        # transcript marks them (sentence ends or one turn a line).
        utterance = m.mean_utterance_length
        if utterance:
            range_share = 0.5 * structures + 0.5 * ramp(utterance, UTTERANCE_LOW, UTTERANCE_HIGH)
            seen += f"; {utterance:.1f} words per utterance"
        else:
            range_share = structures
    else:
        sentences = band_share(m.mean_sentence_length, 12, 22, soft=10)
        range_share = 0.6 * structures + 0.4 * sentences
        seen += f"; {m.mean_sentence_length:.0f} words per sentence"
    weight = SPOKEN_ACCURACY_WEIGHT if spoken else WRITTEN_ACCURACY_WEIGHT
    score = scaled((weight * accuracy + (1 - weight) * range_share) * evidence(m))
    examples = "; ".join(f"{issue.rule}: '{issue.example}'" for issue in m.grammar_issues[:3])
    comment = (
        f"{len(m.grammar_issues)} error(s) found, {m.grammar_error_rate:.1f} per 100 words"
        + (f" ({examples})" if examples else "")
        + f"; {seen}."
    )
    if m.grammar_issues:
        a.weaknesses.append(f"Grammar: {examples}.")
        a.suggestions.append("Check subject-verb agreement, verb forms and sentence boundaries.")
    elif m.word_count:
        a.strengths.append("No grammar errors of the kinds checked.")
    if range_share < 0.5:
        a.suggestions.append(
            "Combine ideas with although, which, whereas, unless ... to vary your sentences."
        )
    return Criterion(score, comment + _thin(m))
