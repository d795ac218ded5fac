"""`vstep-grading dev`, added to the command line by the development tools themselves.

``pyproject.toml`` declares it in the ``vstep_grading.commands`` entry-point group, which
``workers/cli/main.py`` reads: nothing under ``workers/`` imports this package. The CLI
loads this module on every run, so it stays light; the command's work
(``devtools/dev_commands.py``) is imported only when it runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from domain.errors import InvalidInput

# Where `vstep-grading dev` keeps the embedded servers' data and the logs.
DEV_STATE_DIR = Path(".vstep")


def dev(
    state_dir: Path = typer.Option(
        DEV_STATE_DIR, "--state-dir", help="Embedded servers' data and the logs."
    ),
    demo: int = typer.Option(300, "--demo", help="Demo submissions to write (0: none)."),
    exit_when_done: bool = typer.Option(
        False, "--exit-when-done", help="Stop everything once the demo is graded."
    ),
) -> None:
    """Run the Procfile (relay, workers, scheduler, serve) with a live demo; Ctrl-C, SIGTERM
    or SIGHUP stops every process it started.

    A development tool: it needs the `embedded` extra (pip install 'vstep-grading\\[embedded]').
    """
    if demo < 0:
        raise InvalidInput("--demo", f"must be 0 or more, not {demo}")
    _check_directory("--state-dir", state_dir)
    from devtools.dev_commands import run_dev

    run_dev(state_dir=state_dir, demo=demo, exit_when_done=exit_when_done)


def _check_directory(option: str, path: Path) -> None:
    """``path`` is a directory, or one can be made there: its nearest existing ancestor
    is a directory we may write in."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidInput(option, f"{path} cannot be a directory: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidInput(option, f"{path}: {existing} is not writable")
