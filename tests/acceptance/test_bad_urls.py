"""A malformed DATABASE_URL or BROKER_URL is one line naming the variable, exit 2, wherever
it is read: no traceback, no password, no connection attempted."""

from __future__ import annotations

import os

import pytest

from tests.acceptance.cli import run_cli

BAD_DATABASE_URLS = [
    "postgresql://grader:s3cret@127.0.0.1:abc/vstep",  # port not a number
    "postgresql://grader:s3cret@127.0.0.1:70000/vstep",  # port out of range
    "postgresql://grader:s3cret@[::1/vstep",  # unclosed IPv6 bracket
    "postgresql://grader:s3cret@127.0.0.1/vstep?colour=blue",  # an option libpq lacks
]
BAD_BROKER_URLS = [
    "redis://:s3cret@127.0.0.1:abc/0",
    "redis://:s3cret@127.0.0.1:6379/first",  # Redis databases are numbers
    "redis://",  # no host
    "amqp://grader:s3cret@127.0.0.1:abc/",
    "amqp://grader:s3cret@[::1/",
    "http://127.0.0.1:6379/0",
]
# Every command that reads DATABASE_URL; the long-running ones read BROKER_URL too.
DATABASE_COMMANDS = [
    ("db", "upgrade"),
    ("db", "current"),
    ("db", "downgrade", "base", "--yes"),
    ("outbox", "list"),
    ("submission", "list"),
    ("relay",),
    ("worker",),
    ("scheduler",),
]
BROKER_COMMANDS = [("relay",), ("worker",), ("scheduler",), ("outbox", "list")]


def assert_one_line_naming(result_stderr: str, variable: str) -> None:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    assert variable in lines[0]
    assert "Traceback" not in result_stderr
    assert "s3cret" not in result_stderr


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_malformed_database_url_is_one_usage_line(command: tuple[str, ...]) -> None:
    for url in BAD_DATABASE_URLS[:1] if command != ("db", "current") else BAD_DATABASE_URLS:
        result = run_cli(*command, env={**os.environ, "DATABASE_URL": url})
        assert result.returncode == 2, (url, result.stderr)
        assert_one_line_naming(result.stderr, "DATABASE_URL")


def test_malformed_database_url_option_is_one_usage_line_naming_the_option() -> None:
    url = BAD_DATABASE_URLS[0]
    result = run_cli("outbox", "list", "--database-url", url, env=dict(os.environ))
    assert result.returncode == 2, result.stderr
    assert_one_line_naming(result.stderr, "--database-url")


@pytest.mark.parametrize("command", BROKER_COMMANDS, ids=" ".join)
def test_malformed_broker_url_is_one_usage_line(command: tuple[str, ...]) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    urls = BAD_BROKER_URLS if command == ("relay",) else BAD_BROKER_URLS[:1]
    for url in urls:
        result = run_cli(*command, env={**env, "BROKER_URL": url}, timeout=30)
        assert result.returncode == 2, (url, result.stderr)
        assert_one_line_naming(result.stderr, "BROKER_URL")
