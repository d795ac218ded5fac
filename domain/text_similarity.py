"""How a text compares with others: the topic words it shares with a prompt (by stem) and
the runs of words it shares with a reference (a cosine of their counts)."""

from __future__ import annotations

import math
from collections import Counter

from domain.language_errors import word_set
from domain.text_words import words_of

# Words of the task's instructions rather than its topic: a text is not on the topic
# for repeating them, nor off it for leaving them out.
TASK_WORDS = word_set(
    "discuss both views view give own opinion opinions reason reasons answer include "
    "relevant example examples knowledge experience write essay letter email words least "
    "agree disagree extent think believe people others number recent years countries "
    "country today nowadays world advantages disadvantages describe explain say want talk "
    "tell whether why"
)
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ers",
    "er",
    "ies",
    "es",
    "ed",
    "ly",
    "s",
)


def stem(word: str) -> str:
    """A crude stem for matching word families: "workers", "working" and "work" meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word[:6]


def shingles(text: str, size: int = 3) -> Counter[tuple[str, ...]]:
    """Counts of the text's runs of ``size`` lower-cased words."""
    lower = [word.lower() for word in words_of(text)]
    if len(lower) < size:
        return Counter([tuple(lower)]) if lower else Counter()
    return Counter(tuple(lower[i : i + size]) for i in range(len(lower) - size + 1))


def cosine(left: Counter[tuple[str, ...]], right: Counter[tuple[str, ...]]) -> float:
    if not left or not right:
        return 0.0
    if len(left) > len(right):
        left, right = right, left
    dot = sum(count * right[key] for key, count in left.items() if key in right)
    norms = math.sqrt(sum(c * c for c in left.values())) * math.sqrt(
        sum(c * c for c in right.values())
    )
    return dot / norms if norms else 0.0
