"""The shapes the expected schema is written in, and the spellings it uses.

Types are spelled the way PostgreSQL's ``format_type(atttypid, atttypmod)`` prints
them; defaults are spelled in the normalised form produced by
``normalise_default`` in ``tests.migrations.schema_normalise`` (casts and quotes stripped).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- type spellings (as format_type() prints them) --------------------------------

UUID = "uuid"
TEXT = "text"
JSONB = "jsonb"
INTEGER = "integer"
BOOLEAN = "boolean"
TIMESTAMPTZ = "timestamp with time zone"
SCORE = "numeric(3,1)"


def varchar(length: int) -> str:
    return f"character varying({length})"


# --- default spellings (normalised) -----------------------------------------------

NOW = "now()"
GEN_UUID = "gen_random_uuid()"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # "NO ACTION" | "RESTRICT" | "CASCADE" | "SET NULL" | "SET DEFAULT"


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    predicate: str | None = None  # as written in the contract


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()


def id_column() -> Column:
    return Column("id", UUID, True, GEN_UUID)


def created_at_column() -> Column:
    return Column("created_at", TIMESTAMPTZ, True, NOW)


# The "timestamps" and "soft delete" column sets (docs/data-model.md).
TIMESTAMPS: tuple[Column, ...] = (
    Column("created_at", TIMESTAMPTZ, True, NOW),
    Column("updated_at", TIMESTAMPTZ, True, NOW),
)
SOFT_DELETE: tuple[Column, ...] = (
    *TIMESTAMPS,
    Column("deleted_at", TIMESTAMPTZ, False),
)


def fk(column: str, ref_table: str, on_delete: str) -> ForeignKey:
    return ForeignKey((column,), ref_table, ("id",), on_delete)


CASCADE = "CASCADE"
RESTRICT = "RESTRICT"
SET_NULL = "SET NULL"
