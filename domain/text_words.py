"""The words, sentences and paragraphs of a text: what every measure and comparison counts."""

from __future__ import annotations

import re

from domain.language_errors import word_set

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# A sentence ends at . ! or ? followed by white space (or the end of the text).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=\s*\S)")


# Function words: left out of content-word measures (coverage, density, similarity).
STOPWORDS = word_set(
    "a about above after again against all also am an and any are as at be because "
    "been before being below between both but by can could did do does doing down "
    "during each few for from further had has have having he her here hers herself "
    "him himself his how i if in into is it its itself just let me more most my "
    "myself no nor not now of off on once only or other our ours ourselves out over "
    "own same she should so some such than that the their theirs them themselves then "
    "there these they this those through to too under until up very was we were what "
    "when where which while who whom why will with would you your yours yourself "
    "yourselves shall may might must us many much one ones get got make made like "
    "well way thing things lot lots really also yes "
)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def content_words_of(text: str) -> list[str]:
    return [word for word in (w.lower() for w in words_of(text)) if word not in STOPWORDS]


def split_sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [part.strip() for part in _SENTENCE_END.split(flat) if words_of(part)]


def count_paragraphs(text: str) -> int:
    return sum(1 for part in _PARAGRAPH_BREAK.split(text.strip()) if words_of(part))
