"""Settings are read once per process, by ``workers/assembly.py``, and nowhere else."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

import devtools
import workers
from workers.assembly import RELAY_FROM_ENVIRONMENT, process_settings, relay_settings_of
from workers.relay import RelaySettings
from workers.settings import ConfigError, Settings

ROOT = Path(workers.__file__).parent.parent


def _calls_load_settings(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "load_settings"
        for node in ast.walk(tree)
    )


@pytest.fixture
def fresh_process() -> Iterator[None]:
    process_settings.cache_clear()
    yield
    process_settings.cache_clear()


def test_only_assembly_reads_the_environment_into_settings() -> None:
    packages = [Path(workers.__file__).parent, Path(devtools.__file__).parent]
    readers = sorted(
        path.relative_to(ROOT).as_posix()
        for package in packages
        for path in package.rglob("*.py")
        if _calls_load_settings(path)
    )
    assert readers == ["workers/assembly.py"]


@pytest.mark.usefixtures("fresh_process")
def test_a_process_reads_its_settings_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a process that has asked for its settings
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "7")
    first = process_settings()
    # when the environment changes afterwards
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "8")
    # then every later caller gets the same object, as first read
    assert process_settings() is first
    assert first.outbox_batch_size == 7


@pytest.mark.usefixtures("fresh_process")
def test_a_bad_variable_is_named_and_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "0")
    with pytest.raises(ConfigError, match="OUTBOX_BATCH_SIZE"):
        process_settings()
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "9")
    assert process_settings().outbox_batch_size == 9


def test_the_relay_reads_each_of_its_outbox_variables() -> None:
    # given a distinct value in each OUTBOX_ setting the relay takes
    values: dict[str, Any] = {name: n for n, name in enumerate(RELAY_FROM_ENVIRONMENT, start=2)}
    settings = Settings.model_validate({f"outbox_{name}": n for name, n in values.items()})
    # then each reaches its field, and only the rescue interval is not from the environment
    assert relay_settings_of(settings) == RelaySettings(**values)
    own = {field.name for field in fields(RelaySettings)} - set(RELAY_FROM_ENVIRONMENT)
    assert own == {"rescue_interval_seconds"}
    # and the relay's own defaults are the environment's
    assert relay_settings_of(Settings.model_construct()) == RelaySettings()


@pytest.mark.usefixtures("fresh_process")
def test_a_forked_process_reads_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a process that has read its settings, then changed the environment for its
    # children (as `vstep-grading worker` hands LOG_FORMAT down to Dramatiq's processes)
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "7")
    assert process_settings().outbox_batch_size == 7
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "8")
    # when it forks, then the child reads the environment it was given
    pid = os.fork()
    if pid == 0:
        os._exit(0 if process_settings().outbox_batch_size == 8 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # and the parent keeps its own
    assert process_settings().outbox_batch_size == 7
