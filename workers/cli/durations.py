"""Durations as operators type them: "90s", "15m", "2h", "7d", or combined, "1h30m"."""

from __future__ import annotations

import re
from datetime import timedelta

import typer

# Units largest first, each at most once: "1d12h" reads one way only, "30m1h" is a typo.
_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")
_UNIT_KEYWORD = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}

HELP = "a number and a unit s, m, h or d, e.g. 90s, 15m, 2h, 7d or 1h30m"


def parse_duration(text: str) -> timedelta:
    """The timedelta of ``text``; typer.BadParameter naming the value when it is not one.

    Zero is refused: "older than 0s" would mean every row, which is never what a
    retention period or a retry filter is meant to say.
    """
    value = text.strip().lower()
    match = _DURATION.fullmatch(value)
    if not value or match is None:
        raise typer.BadParameter(f"{text!r} is not a duration: use {HELP}")
    parts = {
        _UNIT_KEYWORD[unit]: int(amount) for unit, amount in match.groupdict().items() if amount
    }
    try:
        duration = timedelta(**parts)
    except OverflowError as exc:
        raise typer.BadParameter(f"{text!r} is too long a duration") from exc
    if duration <= timedelta(0):
        raise typer.BadParameter(f"{text!r} is not a duration: it must be longer than zero")
    return duration


def format_duration(duration: timedelta) -> str:
    """The shortest spelling parse_duration reads back, e.g. 5400 s -> "1h30m"."""
    seconds = int(duration.total_seconds())
    if seconds <= 0:
        return "0s"
    text = ""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            text += f"{amount}{unit}"
    return text
