"""The shared database contract (docs/data-model.md), transcribed as plain data.

One module per table family (``users``, ``content``, ``submissions``), the enum
types in ``enums`` and the shapes and spellings in ``shapes``; this package puts
them together in the contract's order.
This package is the expectation only: it must not be derived from the
SQLAlchemy models or the migrations.
"""

from __future__ import annotations

from tests.migrations.expected_schema.content import EXAM_TABLES, QUESTION_TABLES
from tests.migrations.expected_schema.enums import ENUMS
from tests.migrations.expected_schema.shapes import Column, ForeignKey, Index, Table
from tests.migrations.expected_schema.submissions import DELIVERY_TABLES, SUBMISSION_TABLES
from tests.migrations.expected_schema.users import PROGRESS_TABLES, USER_TABLES

__all__ = [
    "ALLOWED_EXTRA_TABLES",
    "ALL_INDEXES",
    "ENUMS",
    "TABLES",
    "TABLES_BY_NAME",
    "Column",
    "ForeignKey",
    "Index",
    "Table",
]

TABLES: tuple[Table, ...] = (
    *USER_TABLES,
    *QUESTION_TABLES,
    *SUBMISSION_TABLES,
    *EXAM_TABLES,
    *PROGRESS_TABLES,
    *DELIVERY_TABLES,
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Tables that may exist in schema public besides the contract's: Alembic's, and the
# console's audit table (ours alone, migration 0006).
ALLOWED_EXTRA_TABLES: frozenset[str] = frozenset({"alembic_version", "console_audit"})

ALL_INDEXES: tuple[Index, ...] = tuple(ix for t in TABLES for ix in t.indexes)
