"""How well one ranking of texts agrees with another: rank correlation and weighted kappa.

Pure Python, so the corpus benchmark needs nothing the project does not install.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

LEVELS = 5


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for k in range(start, end + 1):
            result[order[k]] = shared
        start = end + 1
    return result


def pearson(left: Sequence[float], right: Sequence[float]) -> float:
    n = len(left)
    if n < 2:
        return math.nan
    mean_l, mean_r = sum(left) / n, sum(right) / n
    cov = sum((a - mean_l) * (b - mean_r) for a, b in zip(left, right, strict=True))
    var_l = sum((a - mean_l) ** 2 for a in left)
    var_r = sum((b - mean_r) ** 2 for b in right)
    return cov / math.sqrt(var_l * var_r) if var_l and var_r else math.nan


def spearman(left: Sequence[float], right: Sequence[float]) -> float:
    return pearson(ranks(left), ranks(right))


def rater_levels(scores: Sequence[float]) -> list[int]:
    """The raters' scores by rank onto five levels 0..4 (fifths of the texts by mean rank;
    tied scores stay on one level, so a score held by many texts can leave a level empty)."""
    n = len(scores)
    return [min(LEVELS - 1, int(LEVELS * (rank - 0.5) / n)) for rank in ranks(scores)]


def matched_levels(scores: Sequence[float], like: Sequence[int]) -> list[int]:
    """Our scores by rank onto the raters' levels, as many texts on each level as the
    raters put there (so kappa compares orderings, not two scales). Ties keep input order."""
    counts = Counter(like)
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    result = [0] * len(scores)
    position = 0
    for level in range(LEVELS):
        for i in order[position : position + counts[level]]:
            result[i] = level
        position += counts[level]
    return result


def quadratic_kappa(left: Sequence[int], right: Sequence[int]) -> float:
    """Cohen's kappa with quadratic weights over levels 0..4."""
    n = len(left)
    if not n:
        return math.nan
    observed = Counter(zip(left, right, strict=True))
    row, col = Counter(left), Counter(right)
    top = bottom = 0.0
    for i in range(LEVELS):
        for j in range(LEVELS):
            weight = (i - j) ** 2 / (LEVELS - 1) ** 2
            top += weight * observed[(i, j)]
            bottom += weight * row[i] * col[j] / n
    return 1 - top / bottom if bottom else math.nan
