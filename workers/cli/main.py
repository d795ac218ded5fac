"""The one console command, `vstep-grading`, for users and operators."""

from __future__ import annotations

from importlib.metadata import entry_points, version

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

# The entry-point group of commands other packages add (pyproject.toml).
COMMAND_GROUP = "vstep_grading.commands"

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


def _add_commands_of_other_packages() -> None:
    """The commands other packages declare in the ``vstep_grading.commands`` entry-point
    group (the development tools' ``dev``, see ``pyproject.toml``): nothing here imports
    them, and an installation without their package simply lacks them."""
    for entry in entry_points(group=COMMAND_GROUP):
        try:
            command = entry.load()
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if entry.module == missing or entry.module.startswith(missing + "."):
                continue
            raise
        app.command(entry.name)(command)


_add_commands_of_other_packages()


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
