"""Standard-library log records render through structlog: one JSON line each."""

from __future__ import annotations

import json
import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from workers.logging import configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("dramatiq").level)
    hooks = (sys.excepthook, threading.excepthook)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("dramatiq").setLevel(saved[2])
    logging.captureWarnings(False)
    sys.excepthook, threading.excepthook = hooks
    structlog.reset_defaults()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.usefixtures("restore_logging")
def test_a_stdlib_exception_is_one_json_line_with_the_traceback_as_a_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given JSON logging
    configure_logging("json", "info")
    # when a library logs an exception through the standard library
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        logging.getLogger("pika.adapters.blocking").exception("Connection %s lost", "amqp-1")
    # then stderr holds exactly one line, JSON, with the message, level, logger, traceback
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    (record,) = json_lines(err)
    assert record["event"] == "Connection amqp-1 lost"
    assert record["level"] == "error"
    assert record["logger"] == "pika.adapters.blocking"
    assert "ZeroDivisionError" in record["exception"]
    assert record["exception"].startswith("Traceback")


@pytest.mark.usefixtures("restore_logging")
def test_structlog_lifecycle_and_warnings_are_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    structlog.get_logger("vstep.test").info("relay_started", relay_id="r1")
    logging.getLogger("dramatiq.MainProcess").info("Dramatiq is booting up.")
    logging.getLogger("sqlalchemy.engine").info("not shown: libraries stay at WARNING")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old option", DeprecationWarning, stacklevel=1)
    records = json_lines(capsys.readouterr().err)
    assert [record["event"] for record in records[:2]] == [
        "relay_started",
        "Dramatiq is booting up.",
    ]
    assert len(records) == 3
    assert "old option" in records[2]["event"]
    assert records[2]["logger"] == "py.warnings"


@pytest.mark.usefixtures("restore_logging")
def test_an_uncaught_exception_is_a_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    (record,) = json_lines(capsys.readouterr().err)
    assert record["event"] == "uncaught_exception"
    assert "RuntimeError: boom" in record["exception"]
