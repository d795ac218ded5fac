"""`vstep-grading serve` refuses to start without its secret or with a bad option, in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from devtools.devenv import free_port
from tests.acceptance.cli import VSTEP, run_cli
from tests.waiting import wait_until


def env_without_secret(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CALLBACK_SECRET"}
    return {**env, **extra}


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_serve_does_not_start_without_a_callback_secret(secret: str | None) -> None:
    env = env_without_secret() if secret is None else env_without_secret(CALLBACK_SECRET=secret)
    done = run_cli("serve", env=env, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "CALLBACK_SECRET" in lines[0], done.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "0"], "--port"),
        (["--port", "65536"], "--port"),
    ],
)
def test_an_option_gets_the_validation_of_its_environment_variable(
    args: list[str], named: str
) -> None:
    done = run_cli("serve", *args, env=env_without_secret(CALLBACK_SECRET="s"), timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], done.stderr


def test_a_bad_http_port_variable_is_named() -> None:
    done = run_cli("serve", env=env_without_secret(CALLBACK_SECRET="s", HTTP_PORT="x"), timeout=30)
    assert done.returncode == 2
    assert "HTTP_PORT" in done.stderr.strip().splitlines()[0], done.stderr


def test_serve_with_host_and_port_as_the_readme_types_them_answers(
    child_env: dict[str, str], tmp_path: Path
) -> None:
    # given a free port
    port = free_port()
    # when `vstep-grading serve --host 127.0.0.1 --port PORT` is typed, as the README writes it
    with (tmp_path / "serve.err").open("wb") as stderr:
        process = subprocess.Popen(
            [VSTEP, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**child_env, "CALLBACK_SECRET": "s"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        # then it answers /healthz on that address
        wait_until(
            lambda: healthz(port) == 200 or process.poll() is not None,
            timeout=30,
            message="serve did not answer /healthz",
        )
        assert process.poll() is None, (tmp_path / "serve.err").read_text()
        # and stops cleanly on SIGTERM
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def healthz(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
    except httpx.TransportError:
        return None


def test_serve_on_a_taken_port_is_one_line_naming_the_address(child_env: dict[str, str]) -> None:
    # given the port taken by another program
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # when serve is started on it
        env = {**child_env, "CALLBACK_SECRET": "s"}
        env.pop("LOG_FORMAT")
        done = run_cli("serve", "--host", "127.0.0.1", "--port", str(port), env=env, timeout=30)
    # then one line names the address, exit 1
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{port} is already in use" in lines[0]
