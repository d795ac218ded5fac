"""What the table families of 0001 write alike: the generated key, the timestamps, the
foreign keys, and the indexes as rows of a table created and dropped in one loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

# The contract names every constraint after PostgreSQL's own convention (<table>_pkey,
# <table>_<column>_fkey); the names are written out so that they are what any server makes.
Column = sa.Column[Any]


def generated_id(name: str = "id") -> Column:
    return sa.Column(name, sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def stamped_now(name: str) -> Column:
    """A timestamptz that PostgreSQL fills in: created_at, updated_at and the like."""
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def timestamps() -> tuple[Column, Column]:
    return stamped_now("created_at"), stamped_now("updated_at")


def references(name: str, column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    """The foreign key ``name`` from ``column`` to ``table``.id."""
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(name), ondelete=ondelete)


class Index(NamedTuple):
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None  # the predicate of a partial index


def create_indexes(indexes: Sequence[Index]) -> None:
    for index in indexes:
        op.create_index(
            index.name,
            index.table,
            list(index.columns),
            unique=index.unique,
            postgresql_where=None if index.where is None else sa.text(index.where),
        )


def drop_tables(tables: Sequence[str], indexes: Sequence[Index]) -> None:
    """Undo a family's ``create()``: its indexes, then its tables, last made first dropped."""
    for index in reversed(indexes):
        op.drop_index(index.name, table_name=index.table)
    for table in reversed(tables):
        op.drop_table(table)
