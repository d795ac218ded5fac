"""The one console command, `vstep-grading`, for users and operators."""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

import typer

from domain.errors import InvalidInput, VstepGradingError
from workers.cli import (
    callback_commands,
    console_command,
    db_commands,
    exam_commands,
    outbox_commands,
    process_commands,
    review_commands,
    serve_command,
    staff_commands,
    submission_commands,
    token_commands,
)
from workers.cli.output import EXIT_FAILURE, EXIT_USAGE, console, fail

# Where `vstep-grading dev` keeps the embedded servers' data and the logs.
DEV_STATE_DIR = Path(".vstep")

app = typer.Typer(
    name="vstep-grading",
    help="Grading back end of the VSTEP practice platform: relay, workers, operators' tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        console.print(f"vstep-grading {version('vstep-grading')}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Grading back end of the VSTEP practice platform: relay, workers, operators' tools."""


app.add_typer(db_commands.app, name="db")
app.add_typer(outbox_commands.app, name="outbox")
app.add_typer(submission_commands.app, name="submission")
app.add_typer(callback_commands.app, name="callback")
app.add_typer(review_commands.app, name="review")
app.add_typer(token_commands.app, name="token")
app.add_typer(exam_commands.app, name="exam")
app.add_typer(staff_commands.app, name="staff")
app.command("relay")(process_commands.relay)
app.command("worker")(process_commands.worker)
app.command("scheduler")(process_commands.scheduler)
app.command("serve")(serve_command.serve)
app.command("console")(console_command.console)


@app.command("dev")
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
    # Imported here, not at the top: production code never loads the development tools.
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


def main() -> None:
    """Entry point: our errors become one line and an exit code, never a traceback."""
    from domain.errors import NotFound
    from workers.assembly import process_settings
    from workers.logging import configure_logging_from_environment
    from workers.settings import ConfigError

    # Each run reads the environment afresh, once, when a command first needs it: never for
    # --help, --version or a usage error. (A process runs main() once; tests run it often.)
    process_settings.cache_clear()
    # Before any command runs, so Dramatiq's own logging setup in `worker` finds ours
    # in place and stdlib records render like structlog's (JSON with LOG_FORMAT=json).
    configure_logging_from_environment()
    try:
        app()
    except (InvalidInput, NotFound, ConfigError) as exc:
        raise SystemExit(_exit_code(fail(str(exc), EXIT_USAGE))) from None
    except VstepGradingError as exc:
        raise SystemExit(_exit_code(fail(str(exc), EXIT_FAILURE))) from None


def _exit_code(exit_: typer.Exit) -> int:
    return int(exit_.exit_code)
