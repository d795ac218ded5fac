"""Why a server did not serve a starting process, judged by the error's class (the same
error text under another class says nothing), and URLs shown without their password."""

from __future__ import annotations

import socket
import ssl

import pika.exceptions
import pytest
import redis.exceptions
from pika.adapters.utils.connection_workflow import AMQPConnectorSocketConnectError

from db.reachability import Refusal, network_reason
from db.urls import hide_password
from workers.start_check import broker_refusal


@pytest.mark.parametrize(
    ("error", "why", "lasting"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused", False),
        (socket.gaierror(-2, "Name or service not known"), "unknown host", False),
        (TimeoutError("timed out"), "no answer in time", False),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS failed", True),
        # pika keeps the socket's error inside its own
        (
            pika.exceptions.AMQPConnectionError(
                AMQPConnectorSocketConnectError(ConnectionRefusedError(111, "refused"))
            ),
            "connection refused",
            False,
        ),
    ],
)
def test_network_errors_are_judged_by_class(error: Exception, why: str, lasting: bool) -> None:
    reason = network_reason(error)
    assert reason is not None
    assert (reason.why, reason.lasting) == (why, lasting)


def test_a_text_that_says_refused_is_not_a_reason() -> None:
    assert network_reason(ValueError("Connection refused")) is None


def raising(error: Exception) -> type:
    class Failing:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise error

    return Failing


@pytest.mark.parametrize(
    ("url", "error", "why"),
    [
        (
            "redis://127.0.0.1:6379/99",
            redis.exceptions.ResponseError("DB index is out of range"),
            "no such DB index 99",
        ),
        (
            "redis://u:pw@127.0.0.1:6379/0",
            redis.exceptions.AuthenticationError("invalid username-password pair"),
            "login refused",
        ),
        (
            "amqp://guest:pw@127.0.0.1:5672/",
            pika.exceptions.ProbableAuthenticationError("ACCESS_REFUSED"),
            "login refused",
        ),
        (
            "amqp://guest:pw@127.0.0.1:5672/shop",
            pika.exceptions.ProbableAccessDeniedError("NOT_ALLOWED"),
            "no such virtual host 'shop', or no access to it",
        ),
    ],
)
def test_broker_refusals_are_judged_by_class(
    url: str, error: Exception, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis.Redis, "from_url", raising(error))
    monkeypatch.setattr(pika, "BlockingConnection", raising(error))
    reason = broker_refusal(url, 1.0)
    assert reason == Refusal(why, str(error), lasting=True)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("redis:/127.0.0.1:6379", "redis:/127.0.0.1:6379"),
        ("redis:/:s3cret@127.0.0.1:6379", "redis:***@127.0.0.1:6379"),
        ("amqp://guest:s3cret@127.0.0.1:5672/", "amqp://guest:***@127.0.0.1:5672/"),
        ("host=db password=s3cret dbname=x", "host=db password=*** dbname=x"),
        (
            "postgresql://h/x?password=s3cret&sslmode=require",
            "postgresql://h/x?password=***&sslmode=require",
        ),
    ],
)
def test_a_url_is_shown_as_typed_minus_its_password(typed: str, shown: str) -> None:
    assert hide_password(typed) == shown
