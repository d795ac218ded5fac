"""The word runs two texts share, marked in both (a copy signal shown to a reviewer).

The built-in grader's content similarity counts runs of three words (``shingles``);
here the words of every run found in both texts are marked, so a reviewer sees the
copied wording side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.text_words import words_of

# The run length the similarity factor counts.
RUN_WORDS = 3
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class Piece:
    text: str
    shared: bool


def _runs(text: str) -> set[tuple[str, ...]]:
    lower = [w.lower() for w in words_of(text)]
    return {tuple(lower[i : i + RUN_WORDS]) for i in range(len(lower) - RUN_WORDS + 1)}


def _mark(text: str, shared: set[tuple[str, ...]]) -> list[Piece]:
    spans = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    marked = [False] * len(spans)
    for i in range(len(spans) - RUN_WORDS + 1):
        if tuple(word for _, _, word in spans[i : i + RUN_WORDS]) in shared:
            for j in range(i, i + RUN_WORDS):
                marked[j] = True
    pieces: list[Piece] = []
    at = 0
    for (start, end, _), on in zip(spans, marked, strict=True):
        if start > at:
            # The gap joins a marked stretch only between two marked words.
            pieces.append(Piece(text[at:start], False))
        pieces.append(Piece(text[start:end], on))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:], False))
    return _merge(pieces)


def _merge(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for index, piece in enumerate(pieces):
        shared = piece.shared
        if not shared and not _WORD.search(piece.text):
            before = out[-1].shared if out else False
            after = pieces[index + 1].shared if index + 1 < len(pieces) else False
            shared = before and after
        if out and out[-1].shared == shared:
            out[-1] = Piece(out[-1].text + piece.text, shared)
        else:
            out.append(Piece(piece.text, shared))
    return out


def shared_runs(left: str, right: str) -> tuple[list[Piece], list[Piece], int]:
    """Both texts as pieces, the shared wording marked; and how many runs they share."""
    shared = _runs(left) & _runs(right)
    return _mark(left, shared), _mark(right, shared), len(shared)
