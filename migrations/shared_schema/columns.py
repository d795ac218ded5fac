"""The columns and keys the tables of 0001 write alike (docs/data-model.md, "Conventions"):
the generated uuid key, the timestamps, soft delete, and the named foreign keys.

The columns and constraints are those Alembic's autogenerate wrote for the models of the
time; the DDL they make is that of 0001 as first written (tests/migrations check it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

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


def soft_delete() -> tuple[Column, Column, Column]:
    """deleted_at (null while the row is live) and the timestamps, in the contract's order."""
    return sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True), *timestamps()


def fk(name: str, column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    """The foreign key ``name`` from ``column`` to ``table``.id. The contract's names follow
    PostgreSQL's own convention (<table>_<column>_fkey) but are written out in full, so that
    a search for one finds where it is made."""
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(name), ondelete=ondelete)
