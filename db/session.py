"""Engines and session factories; the caller owns every transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from db.errors import install_error_boundary
from db.urls import parse_database_url


def make_engine(
    url: str | URL,
    *,
    pool_size: int = 5,
    application_name: str = "vstep-grading",
    pre_ping: bool = True,
) -> Engine:
    """An engine whose errors are domain errors (``db/errors.py``), at connect time too.

    ``pre_ping`` checks a pooled connection with a round trip before each use. A hot path
    that retries on DatabaseUnavailable anyway goes without it: a connection that died
    fails its first statement, the pool drops every connection as old, and the retry
    gets a fresh one.
    """
    parsed = parse_database_url(url) if isinstance(url, str) else url
    engine = sa.create_engine(
        parsed,
        pool_size=pool_size,
        pool_pre_ping=pre_ping,
        connect_args={"application_name": application_name, "connect_timeout": 5},
    )
    install_error_boundary(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: ORM entities stay readable after the transaction that made
    # them. The named statements return plain records and need none of it; the console's
    # pages still read entities of the Core/ORM queries not yet converted (see
    # NOT_YET_CONVERTED in tests/integration/test_named_statements.py) after commit.
    return sessionmaker(engine, expire_on_commit=False)


# For this transaction alone: COMMIT returns before its WAL record reaches the disk.
_NO_FLUSH_WAIT = sa.text("SET LOCAL synchronous_commit = off")


@contextmanager
def transaction(factory: sessionmaker[Session], *, durable: bool = True) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error.

    ``durable=False``: the commit returns without waiting for its WAL flush (PostgreSQL's
    ``synchronous_commit = off``, for this transaction alone). A crash within the next
    fraction of a second may undo it, never half of it, and a later durable commit of any
    session flushes it too. Only for work that is redone when undone.
    """
    with factory.begin() as session:
        if not durable:
            session.execute(_NO_FLUSH_WAIT)
        yield session
