"""Reads of ``pg_catalog`` shared by the schema checks, and the tables they run over."""

from __future__ import annotations

from typing import Any, Final

import psycopg
import pytest
from psycopg.rows import TupleRow

from tests.migrations.expected_schema import TABLES

Conn = psycopg.Connection[TupleRow]

TABLE_NAMES: Final = [t.name for t in TABLES]
INDEXED_TABLE_NAMES: Final = [t.name for t in TABLES if t.indexes]

# pg_constraint.confdeltype
ON_DELETE_RULES: Final[dict[str, str]] = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


# --- catalog reads --------------------------------------------------------------------

ENUMS_SQL: Final = """
    SELECT t.typname::text, e.enumlabel::text
    FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = 'public' AND t.typtype = 'e'
    ORDER BY t.typname, e.enumsortorder
"""

TABLES_SQL: Final = """
    SELECT c.relname::text
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""

COLUMNS_SQL: Final = """
    SELECT a.attname::text,
           format_type(a.atttypid, a.atttypmod),
           a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid),
           a.attidentity::text,
           a.attgenerated::text
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relname = %s AND c.relkind IN ('r', 'p')
      AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
"""

_CONSTRAINT_COLUMNS: Final = """
    ARRAY(
        SELECT a.attname::text
        FROM unnest({keys}) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum
        ORDER BY k.ord
    )
"""

PRIMARY_KEY_SQL: Final = f"""
    SELECT con.conname::text,
           {_CONSTRAINT_COLUMNS.format(keys="con.conkey", rel="con.conrelid")}
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = %s AND con.contype = 'p'
"""

FOREIGN_KEYS_SQL: Final = f"""
    SELECT con.conname::text,
           {_CONSTRAINT_COLUMNS.format(keys="con.conkey", rel="con.conrelid")},
           rn.nspname::text,
           rc.relname::text,
           {_CONSTRAINT_COLUMNS.format(keys="con.confkey", rel="con.confrelid")},
           con.confdeltype::text
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class rc ON rc.oid = con.confrelid
    JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE n.nspname = 'public' AND c.relname = %s AND con.contype = 'f'
    ORDER BY con.conname
"""

INDEXES_SQL: Final = """
    SELECT ic.relname::text,
           tc.relname::text,
           i.indisunique,
           i.indisprimary,
           ARRAY(
               SELECT pg_get_indexdef(i.indexrelid, k, true)
               FROM generate_series(1, i.indnkeyatts) AS k
               ORDER BY k
           ),
           pg_get_expr(i.indpred, i.indrelid)
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = ic.relnamespace
    WHERE n.nspname = 'public'
"""


def fetch_rows(conn: Conn, query: str, *params: Any) -> list[TupleRow]:
    return conn.execute(query, params or None).fetchall()


def require_table(conn: Conn, table: str) -> None:
    existing = {r[0] for r in fetch_rows(conn, TABLES_SQL)}
    if table not in existing:
        pytest.fail(f"{table}: table is missing", pytrace=False)
