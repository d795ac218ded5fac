"""Spellings read from PostgreSQL's catalogs, brought to the form ``expected_schema`` uses."""

from __future__ import annotations

import re
from typing import Final

# A trailing cast such as ``::submission_status``, ``::character varying(50)``,
# ``::timestamp with time zone``, ``::"Quoted"``, ``::public.skill``, ``::text[]``.
_CAST_RE: Final = re.compile(
    r"::\s*(?:\w+\.)?"
    r"(?:\"[^\"]+\""
    r"|character\s+varying"
    r"|(?:timestamp|time)\s+with(?:out)?\s+time\s+zone"
    r"|double\s+precision"
    r"|bit\s+varying"
    r"|\w+)"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?"
    r"(?:\[\])*",
    re.IGNORECASE,
)

# Spellings PostgreSQL treats exactly like now() (the transaction's start time).
_NOW_SYNONYMS: Final = frozenset({"current_timestamp", "transaction_timestamp()"})


def strip_casts(expr: str) -> str:
    return _CAST_RE.sub("", expr)


def _strip_outer_parens(expr: str) -> str:
    """Remove parentheses that enclose the whole expression, repeatedly."""
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, ch in enumerate(expr):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0 and i != len(expr) - 1:
                    return expr  # the first "(" closes before the end: not enclosing
        expr = expr[1:-1].strip()
    return expr


def normalise_default(expr: str | None) -> str | None:
    """``'pending'::submission_status`` -> ``pending``; ``now()`` -> ``now()``; etc."""
    if expr is None:
        return None
    text = _strip_outer_parens(strip_casts(expr).strip())
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    text = re.sub(r"\s+", " ", text).lower()
    if text in _NOW_SYNONYMS:
        return "now()"
    return text


def normalise_predicate(expr: str | None) -> tuple[str, ...] | None:
    """A partial-index predicate as a sorted tuple of its AND-ed terms.

    ``((is_active = true) AND (deleted_at IS NULL))`` and
    ``is_active = true AND deleted_at IS NULL`` both become
    ``('deleted_at is null', 'is_active')``.
    """
    if expr is None:
        return None
    text = strip_casts(expr).replace("(", " ").replace(")", " ")
    text = re.sub(r"\s*(<>|!=|<=|>=|=|<|>)\s*", r" \1 ", text)
    text = re.sub(r"\s+", " ", text).strip().lower()
    terms = []
    for term in re.split(r"\band\b", text):
        term = term.strip()
        term = re.sub(r"^(\w+) = true$", r"\1", term)  # "x = true" is "x"
        terms.append(term)
    return tuple(sorted(terms))


def unquote_ident(name: str) -> str:
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name


def normalise_type(type_name: str) -> str:
    return type_name.removeprefix("public.")
