"""structlog setup: JSON lines in production, readable lines in a terminal.

Standard-library records (Dramatiq, pika, redis, SQLAlchemy, warnings) go through the
same processors via structlog's ProcessorFormatter, and in JSON mode uncaught
exceptions are logged too, so with LOG_FORMAT=json every line on stderr is JSON.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from types import TracebackType

import structlog

# Libraries whose INFO lines an operator wants (start, ready, stop); other libraries'
# standard-library loggers stay at WARNING unless debugging.
LIFECYCLE_LOGGERS = ("dramatiq", "uvicorn.error")
LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("debug", "info", "warning", "error")

# Set by a parent for children whose stderr is a pipe to it (Dramatiq's worker processes):
# "1" when the parent writes to a colour terminal.
COLOURS_ENV = "VSTEP_LOG_COLOURS"

log = structlog.get_logger("vstep")


def chosen_format(log_format: str | None) -> str:
    """LOG_FORMAT when set, else console in a terminal and JSON elsewhere."""
    if log_format is not None:
        return log_format
    return "console" if sys.stderr.isatty() else "json"


def hand_down_log_format(log_format: str | None) -> None:
    """Children started from here whose stderr is a pipe to this process log as it does:
    console lines (coloured) in a terminal, JSON elsewhere."""
    os.environ["LOG_FORMAT"] = chosen_format(log_format)
    if sys.stderr.isatty():
        os.environ[COLOURS_ENV] = "1"


def configure_logging(log_format: str | None, level: str = "info") -> None:
    """Configure structlog and the standard library's root logger, replacing what was
    there (a worker process inherits its parent's handlers, bound to another stderr)."""
    use_json = chosen_format(log_format) == "json"
    colours = sys.stderr.isatty() or os.environ.get(COLOURS_ENV) == "1"
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=colours)
    )
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # One write per line (message and newline together): several processes sharing
        # one log file, unbuffered, must not interleave halves of lines.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    # force: Dramatiq's basicConfig, or a parent's handler, must not stay beside ours.
    logging.basicConfig(level=max(numeric_level, logging.WARNING), handlers=[handler], force=True)
    for name in LIFECYCLE_LOGGERS:
        logging.getLogger(name).setLevel(numeric_level)
    logging.captureWarnings(True)
    if use_json:
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def configure_logging_from_environment() -> None:
    """What a command does before its settings are read: LOG_FORMAT and LOG_LEVEL when
    they are valid (a bad value is refused, naming it, once the settings are loaded)."""
    log_format = os.environ.get("LOG_FORMAT", "").lower()
    level = os.environ.get("LOG_LEVEL", "").lower()
    configure_logging(
        log_format if log_format in LOG_FORMATS else None,
        level if level in LOG_LEVELS else "info",
    )


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
        return
    log.critical("uncaught_exception", exc_info=(kind, value, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    log.critical(
        "uncaught_exception_in_thread",
        thread=args.thread.name if args.thread else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
