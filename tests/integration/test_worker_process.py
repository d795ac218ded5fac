"""`vstep-grading worker` as real processes: killed mid-run it loses nothing, grades once."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.acceptance.cli import VSTEP
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import scalar, statuses
from tests.waiting import wait_until
from workers.relay import Relay


def start_worker_process(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            [VSTEP, "worker", "--processes", "1", "--threads", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            # Its own process group, so the kill reaches Dramatiq's children too.
            start_new_session=True,
        )


def test_worker_killed_mid_run_loses_nothing_and_grades_each_once(
    engine: Engine,
    make_relay: Callable[..., Relay],
    child_env: dict[str, str],
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    # given 600 submissions on the broker
    seed_pending(engine, 600)
    relay = make_relay(batch_size=500)
    while relay.run_once():
        pass
    env = {**child_env, "BROKER_NAMESPACE": redis_namespace, "WORKER_REDELIVERY_SECONDS": "4"}
    first = start_worker_process(env, tmp_path / "first.log")
    try:
        wait_until(
            lambda: statuses(engine)["completed"] >= 50,
            timeout=60,
            message="the first worker graded nothing",
        )
    finally:
        # when the worker is killed without warning while it grades
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    assert statuses(engine)["completed"] < 600
    # and another worker comes up
    second = start_worker_process(env, tmp_path / "second.log")
    try:
        # then every submission is graded, the dead worker's messages redelivered in time
        wait_until(
            lambda: statuses(engine) == {"completed": 600},
            timeout=90,
            message=lambda: f"not all graded: {statuses(engine)}",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    # and each exactly once
    completed = event_counts(engine, "completed")
    assert len(completed) == 600 and set(completed.values()) == {1}
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == 600
    assert scalar(engine, "SELECT sum(attempt_count) FROM user_progress") == 600
