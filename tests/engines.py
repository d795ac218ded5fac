"""The engine a test's session factory is bound to, for services that take an Engine."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def engine_of(factory: sessionmaker[Session]) -> Engine:
    with factory() as session:
        bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind
