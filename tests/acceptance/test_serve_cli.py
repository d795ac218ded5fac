"""`vstep-grading serve` refuses to start without its secret or with a bad option, in one line."""

from __future__ import annotations

import os

import pytest

from tests.acceptance.cli import run_cli


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
