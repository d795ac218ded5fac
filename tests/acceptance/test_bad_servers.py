"""Every long-running process meets a database or broker that does not serve it the same
way: it waits up to START_WAIT_SECONDS for what may come, then exits 1 with one line naming
the server, its URL with the password masked, and why; never a traceback. What waiting
cannot mend (no such database or DB index, a refused login) ends the wait at once."""

from __future__ import annotations

import time

import pytest

from devtools.devenv import free_port, port_answers
from tests.acceptance.cli import run_cli

PROCESSES = ["relay", "worker", "scheduler", "serve"]
# The wait the tests allow, in seconds: short, so waiting out a closed port stays quick.
WAIT = 1
# A start takes a couple of seconds on a busy machine: the bound on the whole command.
SLACK_SECONDS = 25


def start(process: str, env: dict[str, str]) -> tuple[int, str, float]:
    """Exit code, stderr and seconds of ``vstep-grading PROCESS`` in ``env``."""
    # serve on a port of its own: 8080 may be taken by a system running on this machine
    env = {"START_WAIT_SECONDS": str(WAIT), **env, "CALLBACK_SECRET": "s"}
    env["HTTP_PORT"] = str(free_port())
    env.pop("LOG_FORMAT", None)
    began = time.monotonic()
    done = run_cli(process, env=env, timeout=60)
    return done.returncode, done.stderr, time.monotonic() - began


def the_one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("process", PROCESSES)
def test_a_database_on_a_closed_port_is_waited_for_then_named(
    process: str, child_env: dict[str, str]
) -> None:
    port = free_port()
    url = f"postgresql://grader:s3cret@127.0.0.1:{port}/vstep"
    code, stderr, seconds = start(process, {**child_env, "DATABASE_URL": url})
    assert code == 1, stderr
    line = the_one_line(stderr)
    assert f"database postgresql://grader:***@127.0.0.1:{port}/vstep " in line
    assert f"did not answer within {WAIT} s: connection refused" in line
    assert "s3cret" not in stderr
    assert seconds < WAIT + SLACK_SECONDS


@pytest.mark.parametrize("process", PROCESSES)
def test_a_missing_database_is_named_at_once(process: str, child_env: dict[str, str]) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/no_such_database_here"
    code, stderr, seconds = start(
        process, {**child_env, "DATABASE_URL": url, "START_WAIT_SECONDS": "60"}
    )
    assert code == 1, stderr
    # long before the 60 s wait is over
    assert seconds < SLACK_SECONDS
    assert the_one_line(stderr).endswith(
        f"database {url}: no such database 'no_such_database_here'"
    )


@pytest.mark.parametrize("process", PROCESSES)
def test_a_redis_db_index_out_of_range_is_named(process: str, child_env: dict[str, str]) -> None:
    code, stderr, _ = start(process, {**child_env, "BROKER_URL": "redis://127.0.0.1:6379/99"})
    assert code == 1, stderr
    line = the_one_line(stderr)
    assert "broker redis://127.0.0.1:6379/99: no such DB index 99" in line


@pytest.mark.rabbitmq
@pytest.mark.parametrize("process", PROCESSES)
def test_a_refused_rabbitmq_login_is_named_as_such(process: str, child_env: dict[str, str]) -> None:
    if not port_answers("127.0.0.1", 5672):
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    url = "amqp://guest:wrong-s3cret@127.0.0.1:5672/"
    code, stderr, _ = start(process, {**child_env, "BROKER_URL": url})
    assert code == 1, stderr
    line = the_one_line(stderr)
    assert "broker amqp://guest:***@127.0.0.1:5672/: login refused" in line
    assert "did not answer" not in line
    assert "s3cret" not in stderr


@pytest.mark.parametrize("process", PROCESSES)
def test_a_mistyped_broker_url_is_shown_as_typed(process: str, child_env: dict[str, str]) -> None:
    # a configuration error: the usage exit code, before any connection
    url = "redis:/:s3cret@127.0.0.1:6379"
    code, stderr, _ = start(process, {**child_env, "BROKER_URL": url})
    assert code == 2, stderr
    line = the_one_line(stderr)
    # the typo shown, the password alone hidden
    assert "BROKER_URL" in line and "(redis:***@127.0.0.1:6379)" in line
    assert "s3cret" not in stderr
