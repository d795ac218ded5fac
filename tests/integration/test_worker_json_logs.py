"""With LOG_FORMAT=json every line a `vstep-grading worker` writes on stderr is JSON:
ours, Dramatiq's and its children's alike, from start to a SIGTERM stop."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import threading
from pathlib import Path

import redis

from tests.acceptance.cli import VSTEP
from tests.waiting import wait_until


def test_worker_stderr_is_json_lines_from_start_to_stop(
    child_env: dict[str, str], redis_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    # given a worker started with LOG_FORMAT=json against this test's database and Redis
    env = {**child_env, "LOG_FORMAT": "json", "BROKER_NAMESPACE": redis_namespace}
    stderr_path = tmp_path / "worker.err"
    client = redis.Redis.from_url(redis_url)
    with stderr_path.open("wb") as stderr:
        worker = subprocess.Popen(
            [VSTEP, "worker", "--processes", "1", "--threads", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        # when it is ready (its consumer beats in Redis) and is stopped with SIGTERM
        wait_until(
            lambda: client.zcard(f"{redis_namespace}:__heartbeats__") > 0,
            timeout=60,
            message="the worker did not start consuming",
        )
        # (to the main process only, as a supervisor does: it stops its children)
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        client.close()
    # then every line on stderr is a JSON object
    lines = [line for line in stderr_path.read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            everything = "\n".join(lines)
            raise AssertionError(f"not JSON: {line!r}\nall of stderr:\n{everything}") from None
    assert all(isinstance(record, dict) and "event" in record for record in records), lines
    # including Dramatiq's own, from the main process and the worker process
    loggers = {record.get("logger", "") for record in records}
    assert any(name.startswith("dramatiq.MainProcess") for name in loggers), loggers
    assert any(name.startswith("dramatiq.WorkerProcess") for name in loggers), loggers


def test_worker_in_a_terminal_logs_console_lines_children_included(
    child_env: dict[str, str], redis_url: str, redis_namespace: str
) -> None:
    # given a worker whose stderr is a terminal, LOG_FORMAT unset (README: console there)
    env = {k: v for k, v in child_env.items() if k != "LOG_FORMAT"}
    env["BROKER_NAMESPACE"] = redis_namespace
    primary, secondary = pty.openpty()
    client = redis.Redis.from_url(redis_url)
    worker = subprocess.Popen(
        [VSTEP, "worker", "--processes", "1", "--threads", "1"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        start_new_session=True,
    )
    os.close(secondary)
    output = bytearray()
    # Read all along: a terminal whose buffer fills blocks its writers.
    reader = threading.Thread(target=read_all, args=(primary, output), daemon=True)
    reader.start()
    try:
        # when it is ready and stopped with SIGTERM
        wait_until(
            lambda: client.zcard(f"{redis_namespace}:__heartbeats__") > 0,
            timeout=60,
            message="the worker did not start consuming",
        )
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        reader.join(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        client.close()
    os.close(primary)
    # then its lines are console lines, not JSON: its own, and its worker process's
    text = output.decode(errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, text
    assert not [line for line in lines if line.lstrip().startswith("{")], text
    assert "dramatiq.MainProcess" in text and "dramatiq.WorkerProcess" in text, text


def read_all(fd: int, into: bytearray) -> None:
    """What the terminal gets, until every writer closed its end."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the last writer is gone
            return
        if not chunk:
            return
        into += chunk
