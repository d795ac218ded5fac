"""The migrated database matches the shared schema (docs/data-model.md), read from the catalogs.

Every check reads ``pg_catalog`` of a database built by the Alembic migrations
(fixture ``cli_migrated_db_url``, built by ``vstep-grading db upgrade``) and
compares it with the plain-data transcription of
that contract in ``expected_schema``. Nothing here looks at the SQLAlchemy models.
"""

from __future__ import annotations

import pytest
from psycopg.rows import TupleRow

from tests.migrations.expected_schema import (
    ALLOWED_EXTRA_TABLES,
    ENUMS,
    TABLES_BY_NAME,
    Column,
    Table,
)
from tests.migrations.schema_catalog import (
    COLUMNS_SQL,
    ENUMS_SQL,
    PRIMARY_KEY_SQL,
    TABLE_NAMES,
    TABLES_SQL,
    Conn,
    fetch_rows,
    require_table,
)
from tests.migrations.schema_normalise import (
    normalise_default,
    normalise_type,
)

# --- 1. enums -------------------------------------------------------------------------


def _actual_enums(conn: Conn) -> dict[str, list[str]]:
    enums: dict[str, list[str]] = {}
    for typname, label in fetch_rows(conn, ENUMS_SQL):
        values = enums.setdefault(typname, [])
        if label is not None:
            values.append(label)
    return enums


def test_enum_types(conn: Conn) -> None:
    actual = set(_actual_enums(conn))
    expected = set(ENUMS)
    problems = [f"enum type {name}: missing" for name in sorted(expected - actual)]
    problems += [f"enum type {name}: not in the contract" for name in sorted(actual - expected)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("enum_name", list(ENUMS))
def test_enum_values(conn: Conn, enum_name: str) -> None:
    actual = _actual_enums(conn)
    assert enum_name in actual, f"enum type {enum_name}: missing"
    expected = list(ENUMS[enum_name])
    assert actual[enum_name] == expected, (
        f"enum {enum_name}: expected values {expected}, got {actual[enum_name]}"
    )


# --- 2. tables ------------------------------------------------------------------------


def test_tables(conn: Conn) -> None:
    actual = {r[0] for r in fetch_rows(conn, TABLES_SQL)}
    expected = set(TABLES_BY_NAME)
    problems = [f"table {name}: missing" for name in sorted(expected - actual)]
    problems += [
        f"table {name}: not in the contract"
        for name in sorted(actual - expected - ALLOWED_EXTRA_TABLES)
    ]
    assert not problems, "\n".join(problems)


# --- 3. columns -----------------------------------------------------------------------


def _column_problems(table: str, exp: Column, row: TupleRow) -> list[str]:
    _, type_name, not_null, default_expr, identity, generated = row
    where = f"{table}.{exp.name}"
    problems: list[str] = []
    actual_type = normalise_type(type_name)
    if actual_type != exp.type:
        problems.append(f"{where}: expected type {exp.type}, got {actual_type}")
    if bool(not_null) != exp.not_null:
        want = "NOT NULL" if exp.not_null else "nullable"
        got = "NOT NULL" if not_null else "nullable"
        problems.append(f"{where}: expected {want}, got {got}")
    if identity:
        problems.append(f"{where}: is an identity column (GENERATED ... AS IDENTITY)")
    if generated:
        problems.append(f"{where}: is a generated column ({default_expr})")
        return problems
    actual_default = normalise_default(default_expr)
    if actual_default != exp.default:
        want = "no default" if exp.default is None else f"default {exp.default}"
        got = "no default" if default_expr is None else f"default {default_expr}"
        problems.append(f"{where}: expected {want}, got {got}")
    return problems


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_columns(conn: Conn, table: str) -> None:
    require_table(conn, table)
    spec: Table = TABLES_BY_NAME[table]
    actual = {row[0]: row for row in fetch_rows(conn, COLUMNS_SQL, table)}
    expected = {c.name: c for c in spec.columns}
    problems = [f"{table}.{name}: column missing" for name in expected if name not in actual]
    problems += [
        f"{table}.{name}: column not in the contract" for name in actual if name not in expected
    ]
    for name, exp in expected.items():
        if name in actual:
            problems += _column_problems(table, exp, actual[name])
    assert not problems, "\n".join(problems)


# --- 4. primary keys ------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_primary_key(conn: Conn, table: str) -> None:
    require_table(conn, table)
    expected = list(TABLES_BY_NAME[table].primary_key)
    rows = fetch_rows(conn, PRIMARY_KEY_SQL, table)
    assert rows, f"{table}: no primary key, expected PRIMARY KEY ({', '.join(expected)})"
    ((_, columns),) = rows
    assert list(columns) == expected, (
        f"{table}: expected PRIMARY KEY ({', '.join(expected)}), got ({', '.join(columns)})"
    )
