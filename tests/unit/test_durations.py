"""Durations as operators type them on the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest
import typer

from workers.cli.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_valid_durations_parse(text: str, expected: timedelta) -> None:
    # given an operator's duration / when parsed / then it is the timedelta meant
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "  ", "7", "d", "7x", "1.5h", "-5m", "30m1h", "1h1h", "1h 30m", "soon", "0s", "0d0h"],
)
def test_invalid_durations_are_refused_naming_the_value(text: str) -> None:
    # given something that is not a positive duration / when parsed
    with pytest.raises(typer.BadParameter) as refused:
        parse_duration(text)
    # then the message quotes the value the operator typed
    assert repr(text) in refused.value.message


def test_an_absurdly_long_duration_is_refused_not_a_crash() -> None:
    with pytest.raises(typer.BadParameter, match="too long"):
        parse_duration("9999999999d")


@pytest.mark.parametrize("text", ["90s", "15m", "2h", "7d", "1h30m", "1d2h3m4s"])
def test_format_reads_back(text: str) -> None:
    # given a parsed duration / when formatted and parsed again / then nothing changed
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


def test_format_picks_the_largest_units() -> None:
    assert format_duration(timedelta(seconds=5400)) == "1h30m"
    assert format_duration(timedelta(seconds=90)) == "1m30s"
    assert format_duration(timedelta(0)) == "0s"
