"""The word lists the built-in grader reads, and the one guard around the libraries that hold them.

Each list ships inside a well-kept package and loads once per process (no network):
- cefrpy: the CEFR level (A1..C2) of an English word;
- pyspellchecker: an English word-frequency dictionary, for the words it does not know;
- pyphen: hyphenation patterns, for syllables.

Learners write anything: a romanized Japanese phrase typed as one word
(``doumoarigatougozaimashita``), a name in another script, a run of letters. These
libraries were written for dictionary words, and some fail on such words from deep
inside (cefrpy raises ``IndexError`` past its longest entry). A word a list cannot look
up is, for grading, a word the list does not know: ``lookup`` turns any failure of a
library on one word into that answer, so one odd word never stops an answer from being
graded. Every call into the three libraries goes through ``lookup``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any, TypeVar

T = TypeVar("T")

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
# No English word a learner means is longer: past this a token is not looked up at all
# (the libraries' work on a word grows with its length).
LONGEST_WORD = 30


def lookup(call: Callable[[], T], unknown: T) -> T:
    """``call()``, or ``unknown`` when the library fails on the word it was given.

    The one place library failures on odd input are absorbed: what a word list cannot
    tell about a word is treated as not known to it, which each measure already handles
    (an unrated word, an unknown spelling, a word of one syllable).
    """
    try:
        return call()
    except Exception:  # any library fault on one word means "not known"
        return unknown


@cache
def _cefr() -> Any:
    from cefrpy import CEFRAnalyzer

    return CEFRAnalyzer()


@cache
def _speller() -> Any:
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


@cache
def _hyphenator() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def warm_up() -> None:
    """Load the word lists now (about 0.3 s), so the first text graded is not the slow one."""
    _cefr()
    _speller()
    _common_words()
    _hyphenator()


def _plain(word: str) -> bool:
    return 1 < len(word) <= LONGEST_WORD and word.isascii() and word.isalpha()


# Learners' texts reuse the same few thousand words, and a lookup walks cefrpy's tables.
@lru_cache(maxsize=65536)
def word_level(word: str) -> str | None:
    """The CEFR level (A1..C2) of a lower-case word, or None when it is not rated."""
    if not _plain(word):
        return None
    level = lookup(lambda: _cefr().get_average_word_level_CEFR(word), None)
    name = getattr(level, "name", None)
    return name if name in CEFR_LEVELS else None


def unknown_words(lower: Iterable[str]) -> set[str]:
    """The lower-case words the spelling dictionary does not know."""
    return {word for word in set(lower) if _plain(word) and not _known_spelling(word)}


def _known_spelling(word: str) -> bool:
    return lookup(lambda: word in _speller(), True)


# The commonest English words: about what a learner at A2 knows. A word beyond them, spelled
# right, is a sign of a wider vocabulary (lexical sophistication, by word frequency).
COMMON_WORDS = 2000


@cache
def _common_words() -> frozenset[str]:
    counts: dict[str, int] = lookup(lambda: _speller().word_frequency.dictionary, {})
    # Ties at the cut keep the dictionary's own order, the same on every run.
    return frozenset(heapq.nlargest(COMMON_WORDS, counts, key=counts.__getitem__))


def is_common(word: str) -> bool:
    """Among the COMMON_WORDS most frequent words of the spelling dictionary's counts."""
    return word in _common_words()


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables of a lower-case word by its hyphenation points (at least one)."""
    if not _plain(word):
        return 1
    points = lookup(lambda: len(_hyphenator().positions(word)), 0)
    return 1 + points
