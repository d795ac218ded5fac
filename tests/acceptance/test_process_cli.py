"""The process commands refuse bad options as usage errors and never start half-connected."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.acceptance.cli import VSTEP, run_cli
from tests.waiting import wait_until


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["relay", "--batch-size", "0"], "--batch-size"),
        (["relay", "--batch-size", "20000"], "--batch-size"),
        (["worker", "--processes", "0"], "--processes"),
        (["worker", "--threads", "0"], "--threads"),
        (["worker", "--queues", "grading.nowhere"], "--queues"),
    ],
)
def test_an_option_gets_the_validation_of_its_environment_variable(
    args: list[str], named: str, child_env: dict[str, str]
) -> None:
    done = run_cli(*args, env=child_env, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], done.stderr


@pytest.mark.parametrize(
    ("variable", "url", "named"),
    [
        ("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere", "database"),
        ("BROKER_URL", "redis://127.0.0.1:1/0", "broker"),
    ],
)
def test_a_worker_does_not_start_while_the_database_or_broker_is_away(
    variable: str, url: str, named: str, child_env: dict[str, str]
) -> None:
    env = {**child_env, variable: url, "WORKER_START_WAIT_SECONDS": "2"}
    started = time.monotonic()
    done = run_cli("worker", "--processes", "1", "--threads", "1", env=env, timeout=60)
    # then it gives up after the bounded wait, with one line, and never says it is ready
    assert done.returncode == 1
    assert time.monotonic() - started < 30
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert named in lines[0] and "did not answer within 2 s" in lines[0]
    assert "ready" not in done.stderr.lower()


def test_the_scheduler_runs_and_stops_cleanly_on_sigterm(
    child_env: dict[str, str], redis_namespace: str
) -> None:
    env = {**child_env, "BROKER_NAMESPACE": redis_namespace}
    process = subprocess.Popen(
        [VSTEP, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        lines: list[str] = []
        assert process.stderr is not None

        def started() -> bool:
            line = process.stderr.readline() if process.stderr else ""
            lines.append(line)
            return "scheduler_started" in line or process.poll() is not None

        wait_until(started, timeout=30, message="the scheduler did not start")
        assert process.poll() is None, "".join(lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
