"""Alembic environment: the URL comes from db.migrate (the CLI), never from a file."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

import db.models  # registers every table on the metadata
from db.errors import install_error_boundary
from db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=sa.NullPool)
    # A refused statement is a domain error (one line in the CLI), not a driver traceback.
    install_error_boundary(engine)
    with engine.connect() as connection:
        # Every pending migration runs in this one transaction (transactional DDL, no
        # transaction_per_migration): a failure in any of them leaves nothing behind.
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


assert db.models  # keep the import: it is what fills the metadata
if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
