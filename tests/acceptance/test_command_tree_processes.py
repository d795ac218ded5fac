"""The long-running commands (relay, worker, scheduler, serve, dev) typed as a person
types them, as subprocesses: every option with a bad value is a usage error naming it;
started with good values each one answers, and stops on SIGTERM (exit 0)."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.acceptance.cli import VSTEP, run_cli
from tests.acceptance.test_command_tree import PROCESS_COMMANDS, TRACEBACK, TREE, typed_names
from tests.waiting import wait_until

# Per command, per option: a bad value. The good values are in `STARTS` below.
BAD: dict[str, dict[str, list[str]]] = {
    "relay": {"--batch-size": ["--batch-size", "0"]},
    "worker": {
        "--processes": ["--processes", "0"],
        "--threads": ["--threads", "many"],
        "--queues": ["--queues", "grading.nowhere"],
    },
    "scheduler": {},
    "serve": {"--host": ["--host", "not a host"], "--port": ["--port", "70000"]},
    "console": {"--host": ["--host", "not a host"], "--port": ["--port", "0"]},
    "dev": {"--state-dir": ["--state-dir", "/dev/null/state"], "--demo": ["--demo", "-1"]},
}
FREE = {"dev": ("--exit-when-done",)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_every_process_option_has_a_bad_value_and_a_start() -> None:
    missing = []
    for path, command in TREE.items():
        if path not in PROCESS_COMMANDS:
            continue
        for name in typed_names(command):
            if name not in BAD[path] and name not in FREE.get(path, ()):
                missing.append(f"{path} {name}: no bad value")
        started = " ".join(STARTS[path][0])
        missing += [
            f"{path} {n}: not in its start" for n in typed_names(command) if n not in started
        ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("command", "name"), [(c, n) for c, options in BAD.items() for n in options]
)
def test_a_bad_process_option_is_one_usage_line(
    command: str, name: str, child_env: dict[str, str]
) -> None:
    done = run_cli(command, *BAD[command][name], env=child_env, timeout=60)
    said = done.stderr.strip()
    assert TRACEBACK not in done.stdout + said
    assert done.returncode == 2, said
    assert name in said, said
    assert len(said.splitlines()) == 1 or said.startswith("Usage:"), said


# How each is started with every option good, and how it says it is ready ("healthz":
# its /healthz answers).
STARTS: dict[str, tuple[list[str], str]] = {
    "relay": (["relay", "--batch-size", "50"], "relay_started"),
    "worker": (
        ["worker", "--processes", "1", "--threads", "2", "--queues", "grading.request"],
        "ready for action",
    ),
    "scheduler": (["scheduler"], "scheduler_started"),
    "serve": (["serve", "--host", "127.0.0.1", "--port", "{port}"], "healthz"),
    "console": (["console", "--host", "127.0.0.1", "--port", "{port}"], "signin"),
    "dev": (["dev", "--state-dir", "{state}", "--demo", "0", "--exit-when-done"], "exits"),
}


@pytest.mark.parametrize("command", sorted(STARTS))
def test_a_process_started_with_good_options_answers_and_stops_on_sigterm(
    command: str, child_env: dict[str, str], redis_namespace: str, tmp_path: Path
) -> None:
    port = free_port()
    words, ready = STARTS[command]
    typed = [w.format(port=port, state=tmp_path / "state") for w in words]
    env = {
        **child_env,
        "BROKER_NAMESPACE": redis_namespace,
        "CALLBACK_SECRET": "s" * 32,
        "HTTP_PORT": str(port),
    }
    log = tmp_path / "process.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [VSTEP, *typed], env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        if ready == "exits":
            assert process.wait(timeout=120) == 0, log.read_text()
        else:
            wait_until(
                lambda: _answers(ready, port, log) or process.poll() is not None,
                timeout=60,
                message=f"{command} did not say it was ready",
            )
            assert process.poll() is None, log.read_text()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert TRACEBACK not in log.read_text()


def _answers(ready: str, port: int, log: Path) -> bool:
    if ready not in ("healthz", "signin"):
        return ready in log.read_text()
    try:
        page = "/healthz" if ready == "healthz" else "/sign-in"
        return httpx.get(f"http://127.0.0.1:{port}{page}", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize(
    ("command", "setting"), [("serve", "HTTP_PORT"), ("console", "CONSOLE_PORT")]
)
def test_a_server_on_a_taken_port_says_so_in_one_line(
    command: str, setting: str, child_env: dict[str, str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**child_env, "CALLBACK_SECRET": "s" * 32}
        done = run_cli(command, "--port", str(port), env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {'HTTP' if command == 'serve' else setting} address 127.0.0.1:{port} is already "
        f"in use (another server listens there; set {setting})"
    ]
