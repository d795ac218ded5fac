"""DATABASE_URL and BROKER_URL are refused before any connection, naming the variable."""

from __future__ import annotations

import pytest

from db.urls import hide_password, parse_database_url
from domain.errors import InvalidInput
from workers.broker_url import check_broker_url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u:s3cret@127.0.0.1:abc/x", "not a database URL"),
        ("postgresql://u:s3cret@127.0.0.1:0/x", "port 0 is out of range"),
        ("postgresql://u:s3cret@h:65536/x", "port 65536 is out of range"),
        ("postgresql://u:s3cret@[::1/x", "not a database URL"),
        ("postgresql://u:s3cret@h/x?colour=blue", '"colour"'),
        ("mysql://u:s3cret@h/x", "scheme 'mysql'"),
        ("postgresql://u:s3cret@h", "names no database"),
    ],
)
def test_malformed_database_urls_are_refused(url: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_database_url(url)
    assert refused.value.field == "DATABASE_URL"
    assert says in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_good_database_urls_pass() -> None:
    assert parse_database_url("postgres://u:p@h:5432/x?sslmode=require").port == 5432
    assert parse_database_url("postgresql+psycopg:///x").database == "x"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://:s3cret@127.0.0.1:abc/0", "Port could not be cast"),
        ("redis://:s3cret@127.0.0.1:99999/0", "out of range"),
        ("redis://:s3cret@127.0.0.1:6379/first", "'first' is not a number"),
        ("redis://127.0.0.1/0?db=first", "'db'"),
        ("redis://", "names no host"),
        ("unix://", "names no socket path"),
        ("amqp://u:s3cret@127.0.0.1:abc/", "Port could not be cast"),
        ("amqp://u:s3cret@[::1/", "Invalid IPv6 URL"),
        ("amqp://u:s3cret@h/?heartbeat=often", "heartbeat"),
        ("http://h/", "must start with"),
        ("127.0.0.1:6379", "must start with"),
    ],
)
def test_malformed_broker_urls_are_refused(url: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_broker_url(url)
    assert refused.value.field == "BROKER_URL"
    assert says in str(refused.value)
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:pw@cache.internal:6380/2",
        "redis://localhost",
        "unix:///tmp/redis.sock?db=1",
        "amqp://guest:guest@127.0.0.1:5672/%2f",
        "amqps://u:p@mq.internal/vhost?heartbeat=30",
    ],
)
def test_good_broker_urls_pass(url: str) -> None:
    assert check_broker_url(url) == url


def test_an_unparseable_url_never_shows_its_password() -> None:
    assert hide_password("postgresql://u:s3cr@t@h:abc/x") == "postgresql://u:***@h:abc/x"
    assert "s3cr" not in hide_password("u:s3cret@h:abc/x")
