"""Engines and session factories; the caller owns every transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db.urls import parse_database_url


def make_engine(
    url: str | URL, *, pool_size: int = 5, application_name: str = "vstep-grading"
) -> Engine:
    parsed = parse_database_url(url) if isinstance(url, str) else url
    return sa.create_engine(
        parsed,
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args={"application_name": application_name, "connect_timeout": 5},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: results stay readable after the transaction that made them.
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error."""
    with factory.begin() as session:
        yield session


def driver_error_line(exc: DBAPIError) -> str:
    """The first line of what the driver said, for one-line error messages."""
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
