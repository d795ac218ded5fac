"""The indexes of 0001 as rows of a table, created and dropped in one loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

# The partial-index predicates the contract repeats: a live row (not soft-deleted), and a
# live row still offered (questions, exams).
LIVE = "deleted_at IS NULL"
LIVE_AND_ACTIVE = "is_active = true AND deleted_at IS NULL"


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


def drop_indexes(indexes: Sequence[Index]) -> None:
    for index in reversed(indexes):
        op.drop_index(index.name, table_name=index.table)
