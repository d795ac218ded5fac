"""What can be measured in a learner's text, with nothing but word lists shipped in packages.

The built-in grader (domain/writing_grader.py, domain/speaking_grader.py) turns these
measures into criteria scores, and domain/confidence.py into confidence factors. Every
measure is a plain count or share, so a comment can say what earned a score.

The word lists (CEFR levels, a spelling dictionary, hyphenation) are read through
domain/lexicon.py, which guards every call into their libraries. Everything else is
ours: the tokens (domain/text_words.py), the linking words and the grammar patterns below;
how a text compares with a prompt or another text is domain/text_similarity.py.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from domain.language_errors import (
    HESITATIONS,
    GrammarIssue,
    convention_errors,
    word_errors,
    word_set,
)
from domain.lexicon import CEFR_LEVELS, is_common, syllables, unknown_words, word_level
from domain.lexicon import warm_up as warm_up  # the workers load the word lists through here
from domain.phrase_errors import phrase_errors
from domain.text_words import STOPWORDS, count_paragraphs, split_sentences, words_of

# Linking words and phrases that tie ideas together (cohesion), by what they do.
LINKERS: tuple[str, ...] = (
    "first", "firstly", "second", "secondly", "third", "thirdly", "finally", "lastly",
    "next", "then", "moreover", "furthermore", "in addition", "additionally", "besides",
    "also", "however", "nevertheless", "nonetheless", "on the other hand", "whereas",
    "although", "though", "even though", "despite", "in spite of", "instead",
    "therefore", "thus", "consequently", "as a result", "hence", "because", "since",
    "so that", "for example", "for instance", "such as", "in particular", "especially",
    "in conclusion", "to conclude", "to sum up", "in summary", "overall", "in short",
    "in my opinion", "i believe", "i think", "from my point of view", "as far as i am concerned",
    "similarly", "likewise", "in contrast", "on the contrary", "meanwhile", "afterwards",
)  # fmt: skip

# Words that open a subordinate or relative clause: a sign of complex sentences.
SUBORDINATORS = word_set(
    "because although though while whereas if unless when whenever since which who "
    "whom whose where that after before until so "
)


@dataclass(frozen=True)
class TextMeasures:
    words: tuple[str, ...]
    # Lower-cased words, the same order.
    lower: tuple[str, ...]
    sentences: tuple[str, ...]
    paragraphs: int
    # Sentence lengths in words.
    sentence_lengths: tuple[int, ...]
    content_words: tuple[str, ...]
    # Moving-average type-token ratio over windows of 50 words (length-independent).
    diversity: float
    # Content words with a known CEFR level, counted per level A1..C2.
    levels: dict[str, int]
    misspelled: tuple[str, ...]
    linkers: tuple[str, ...]
    grammar_issues: tuple[GrammarIssue, ...]
    # Sentences with a subordinate or relative clause.
    complex_sentences: int
    syllables_per_word: float
    hesitations: int
    repetitions: int
    # Correctly spelled words beyond the commonest English words, in the order first used.
    less_common: tuple[str, ...]
    # Their share of the correctly spelled words (lexical sophistication).
    less_common_share: float
    # Structures beyond the simple sentence: less common clause openers and passives.
    structures: tuple[str, ...]
    # Mean words per utterance (a sentence, or a transcript's line); 0 where none is marked.
    mean_utterance_length: float = 0.0

    @property
    def word_count(self) -> int:
        return len(self.words)

    @property
    def sentence_count(self) -> int:
        return len(self.sentences)

    @property
    def mean_sentence_length(self) -> float:
        return statistics.fmean(self.sentence_lengths) if self.sentence_lengths else 0.0

    @property
    def word_types(self) -> int:
        """Different words used (lower-cased forms)."""
        return len(set(self.lower))

    @property
    def lexical_range(self) -> float:
        """Guiraud's index: different words over the square root of the words. Unlike the
        plain type-token ratio it does not fall as a text grows, and it rises with how many
        words a writer can draw on."""
        return self.word_types / math.sqrt(self.word_count) if self.words else 0.0

    @property
    def leveled(self) -> int:
        return sum(self.levels.values())

    def share_at_or_above(self, level: str) -> float:
        """Share of the leveled content words at ``level`` or above (B1, B2 ...)."""
        if not self.leveled:
            return 0.0
        index = CEFR_LEVELS.index(level)
        return sum(self.levels[name] for name in CEFR_LEVELS[index:]) / self.leveled

    @property
    def spelling_error_rate(self) -> float:
        """Misspelled words per 100 words."""
        return 100 * len(self.misspelled) / self.word_count if self.words else 0.0

    @property
    def grammar_error_rate(self) -> float:
        return 100 * len(self.grammar_issues) / self.word_count if self.words else 0.0

    @property
    def content_density(self) -> float:
        return len(self.content_words) / self.word_count if self.words else 0.0

    @property
    def controlled_sentences(self) -> int:
        """Sentences that start with a capital and end before running on."""
        return sum(
            1
            for sentence, length in zip(self.sentences, self.sentence_lengths, strict=True)
            if sentence[0].isupper() and length <= CONTROLLED_SENTENCE_WORDS
        )

    @property
    def structure_rate(self) -> float:
        """Less common structures per 100 words."""
        return 100 * len(self.structures) / self.word_count if self.words else 0.0


DIVERSITY_WINDOW = 50
# A sentence longer than this has most likely run on past where its full stop belonged.
CONTROLLED_SENTENCE_WORDS = 35


def measure(text: str, *, spoken: bool = False) -> TextMeasures:
    """Every measure of ``text``; ``spoken`` for a transcript (no case or punctuation rules)."""
    words = tuple(words_of(text))
    lower = tuple(word.lower() for word in words)
    sentences = tuple(split_sentences(text))
    content = tuple(word for word in lower if word not in STOPWORDS)
    misspelled = _misspelled(words, sentences)
    spelled = [word for word in lower if len(word) > 1 and word not in misspelled]
    beyond = [word for word in spelled if not is_common(word)]
    return TextMeasures(
        words=words,
        lower=lower,
        sentences=sentences,
        paragraphs=count_paragraphs(text),
        sentence_lengths=tuple(len(words_of(sentence)) for sentence in sentences),
        content_words=content,
        diversity=_diversity(lower),
        levels=_levels(content),
        misspelled=misspelled,
        linkers=_linkers(lower),
        grammar_issues=tuple(_grammar_issues(text, lower, sentences, spoken=spoken)),
        complex_sentences=sum(
            1 for sentence in sentences if SUBORDINATORS & {w.lower() for w in words_of(sentence)}
        ),
        syllables_per_word=_syllables_per_word(lower),
        hesitations=sum(1 for word in lower if word in HESITATIONS),
        repetitions=sum(
            1 for first, second in pairwise(lower) if first == second and first not in HESITATIONS
        ),
        less_common=tuple(dict.fromkeys(beyond)),
        less_common_share=len(beyond) / len(spelled) if spelled else 0.0,
        structures=tuple(_structures(lower)),
        mean_utterance_length=_mean_utterance(text) if spoken else 0.0,
    )


_UTTERANCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _mean_utterance(text: str) -> float:
    lengths = [len(words_of(part)) for part in _UTTERANCE_END.split(text) if words_of(part)]
    # One unbroken block marks no utterance at all.
    return statistics.fmean(lengths) if len(lengths) > 1 else 0.0


# Clause openers beyond because / if / when, which learners reach for as they progress.
LESS_COMMON_OPENERS = word_set("although though whereas unless whether which whose whom while")
_BE_FORMS = word_set("is are was were be been being")
_PARTICIPLES = word_set(
    "done made given taken known seen shown written chosen built found told taught kept "
    "held paid brought bought thought spent left lost won"
)


def _structures(lower: Sequence[str]) -> list[str]:
    """Less common clause openers and passives (is required, was given), as written."""
    found = [word for word in lower if word in LESS_COMMON_OPENERS]
    found.extend(
        f"{first} {second}"
        for first, second in pairwise(lower)
        if first in _BE_FORMS
        and ((second.endswith("ed") and len(second) > 4) or second in _PARTICIPLES)
    )
    return found


def _diversity(lower: Sequence[str]) -> float:
    if not lower:
        return 0.0
    if len(lower) <= DIVERSITY_WINDOW:
        return len(set(lower)) / len(lower)
    ratios = [
        len(set(lower[start : start + DIVERSITY_WINDOW])) / DIVERSITY_WINDOW
        for start in range(0, len(lower) - DIVERSITY_WINDOW + 1, 5)
    ]
    return statistics.fmean(ratios)


def _levels(content: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(CEFR_LEVELS, 0)
    for word in content:
        level = word_level(word)
        if level is not None:
            counts[level] += 1
    return counts


def _misspelled(words: Sequence[str], sentences: Sequence[str]) -> tuple[str, ...]:
    """Words the dictionary does not know, names (capitalised inside a sentence) left out."""
    starts = {words_of(sentence)[0] for sentence in sentences if words_of(sentence)}
    candidates = [
        word
        for word in words
        if "'" not in word and (word[0].islower() or word in starts) and len(word) > 1
    ]
    unknown = unknown_words(word.lower() for word in candidates)
    seen: dict[str, None] = {}
    for word in candidates:
        if word.lower() in unknown:
            seen.setdefault(word.lower())
    return tuple(seen)


def _linkers(lower: Sequence[str]) -> tuple[str, ...]:
    joined = " " + " ".join(lower) + " "
    return tuple(linker for linker in LINKERS if f" {linker} " in joined)


def _grammar_issues(
    text: str, lower: Sequence[str], sentences: Sequence[str], *, spoken: bool
) -> list[GrammarIssue]:
    issues = word_errors(lower, spoken=spoken)
    issues.extend(phrase_errors(lower))
    if not spoken:
        issues.extend(convention_errors(text, sentences))
    return issues


def _syllables_per_word(lower: Sequence[str]) -> float:
    if not lower:
        return 0.0
    return sum(syllables(word) for word in lower) / len(lower)
