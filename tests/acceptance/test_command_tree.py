"""Every command and every option of `vstep-grading`, typed with a good value and a bad one.

The tree is walked from the Typer app itself, so a command or option added without a row
in `TYPED` fails `test_every_option_has_a_good_and_a_bad_value`. These commands run
in-process through the same `main()` a person's shell runs; the long-running process
commands are typed in `test_command_tree_processes.py`. Nowhere a traceback: a good value
runs (exit 0), a bad one is a usage error (exit 2) naming what the person typed.
The lines typed are in `command_typed.py`, the rows they name in `command_world.py`.
"""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main

from tests.acceptance.command_typed import TYPED
from tests.acceptance.command_world import World, run, world
from workers.cli import main as cli_main

PROCESS_COMMANDS = frozenset({"relay", "worker", "scheduler", "serve", "console", "dev"})
TRACEBACK = "Traceback (most recent call last)"
EXIT_USAGE = 2


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            yield from _leaves(sub, (*path, name))
    else:
        yield " ".join(path), command


def typed_names(command: Any) -> list[str]:
    """What a person types or reads in the usage line: an option's long flag, an
    argument's metavar."""
    names = []
    for param in command.params:
        if param.param_type_name == "argument":
            names.append(param.metavar or param.name.upper())
        else:
            names.append(next(o for o in param.opts if o.startswith("--")))
    return names


TREE: dict[str, Any] = dict(_leaves(typer.main.get_command(cli_main.app)))

__all__ = ["world"]  # a fixture, imported for pytest to find


def test_every_option_has_a_good_and_a_bad_value() -> None:
    missing = []
    for path, command in TREE.items():
        if path.split()[0] in PROCESS_COMMANDS:
            continue
        typed = TYPED.get(path)
        for name in typed_names(command):
            if typed is None or name not in typed.good:
                missing.append(f"{path} {name}: no good value")
            if typed is None or (name not in typed.bad and name not in typed.free):
                missing.append(f"{path} {name}: no bad value")
    assert not missing, "\n".join(missing)


def _cases(kind: str) -> list[Any]:
    cases = []
    for path, typed in sorted(TYPED.items()):
        lines = typed.good if kind == "good" else typed.bad
        for name, line in sorted(lines.items()):
            cases.append(pytest.param(path, name, line, id=f"{path} {name}"))
    return cases


@pytest.mark.parametrize(("path", "name", "line"), _cases("good"))
def test_a_good_value_runs(
    path: str, name: str, line: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [*path.split(), *world.fill(line)]
    ran = run(words, monkeypatch, world.url)
    assert TRACEBACK not in ran.out + ran.err
    assert ran.code == 0, f"vstep-grading {shlex.join(words)}: exit {ran.code}\n{ran.err}"


@pytest.mark.parametrize(("path", "name", "line"), _cases("bad"))
def test_a_bad_value_is_a_usage_error_naming_it(
    path: str, name: str, line: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [*path.split(), *world.fill(line)]
    ran = run(words, monkeypatch, world.url)
    said = ran.err.strip()
    assert TRACEBACK not in ran.out + said
    assert ran.code == EXIT_USAGE, f"vstep-grading {shlex.join(words)}: exit {ran.code}\n{said}"
    assert name in said, f"vstep-grading {shlex.join(words)} does not name {name}:\n{said}"
    # one line of ours, or Typer's usage panel (which starts with the usage line)
    assert len(said.splitlines()) == 1 or said.startswith("Usage:"), said


@pytest.mark.parametrize(
    ("line", "row"),
    [
        ("exam list", "exam"),
        ("submission list", "completed"),
        ("review list", "review"),
        ("callback list", "completed"),
        ("outbox list --status failed", "failed_outbox"),
    ],
)
def test_ids_are_never_cut_in_a_table(
    line: str, row: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a row to list (a callback of the completed submission: a review of it)
    wanted = world.fill(f"<{row}>")[0]
    if line == "callback list":
        sid = world.claimed()
        wanted = sid
        reviewed = run(
            ["review", "submit", sid, "--reviewer", str(world.instructor), "--score", "6"],
            monkeypatch,
            world.url,
        )
        assert reviewed.code == 0, reviewed.err
    # when an operator lists them in an 80-column terminal
    ran = run(shlex.split(line), monkeypatch, world.url)
    # then every id is whole, ready to copy into the next command
    assert ran.code == 0, ran.err
    assert wanted in ran.out, ran.out


def test_version_and_the_development_tools_hint(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = run(["--version"], monkeypatch, world.url)
    assert (ran.code, ran.out.strip()) == (0, "vstep-grading 0.1.0")
    helped = run(["dev", "--help"], monkeypatch, world.url)
    assert "vstep-grading[embedded]" in " ".join(helped.out.split())


@pytest.mark.parametrize("command", ["show", "claim", "submit"])
def test_a_state_that_says_no_exits_1_and_an_id_naming_nothing_exits_2(
    command: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    more = {"show": [], "claim": ["--reviewer", str(world.instructor)]}.get(
        command, ["--reviewer", str(world.instructor), "--score", "6"]
    )
    # a submission that is not waiting for review: the state refuses (exit 1)
    done = run(["review", command, str(world.completed), *more], monkeypatch, world.url)
    assert done.code == 1, done.err
    assert "is not waiting for review" in done.err
    # an id that names no submission: a usage error (exit 2)
    nothing = run(["review", command, str(uuid.uuid4()), *more], monkeypatch, world.url)
    assert nothing.code == 2, nothing.err
