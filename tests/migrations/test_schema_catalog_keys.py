"""The migrated database's foreign keys and indexes match the shared schema (docs/data-model.md).

Read from ``pg_catalog`` like ``test_schema_catalog``; compared with ``expected_schema``.
"""

from __future__ import annotations

import pytest
from psycopg.rows import TupleRow

from tests.migrations.expected_schema import (
    TABLES_BY_NAME,
    ForeignKey,
    Index,
)
from tests.migrations.schema_catalog import (
    FOREIGN_KEYS_SQL,
    INDEXED_TABLE_NAMES,
    INDEXES_SQL,
    ON_DELETE_RULES,
    TABLE_NAMES,
    Conn,
    fetch_rows,
    require_table,
)
from tests.migrations.schema_normalise import (
    normalise_predicate,
    unquote_ident,
)

# --- 5. foreign keys ------------------------------------------------------------------


def _describe_fk(table: str, fk: ForeignKey) -> str:
    return (
        f"{table}({', '.join(fk.columns)}) -> {fk.ref_table}({', '.join(fk.ref_columns)})"
        f" ON DELETE {fk.on_delete}"
    )


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_foreign_keys(conn: Conn, table: str) -> None:
    require_table(conn, table)
    expected = set(TABLES_BY_NAME[table].foreign_keys)
    actual: dict[ForeignKey, str] = {}
    problems: list[str] = []
    for conname, columns, ref_schema, ref_table, ref_columns, deltype in fetch_rows(
        conn, FOREIGN_KEYS_SQL, table
    ):
        if ref_schema != "public":
            problems.append(f"{table}: FK {conname} references {ref_schema}.{ref_table}")
        fk = ForeignKey(
            tuple(columns),
            ref_table,
            tuple(ref_columns),
            ON_DELETE_RULES.get(deltype, f"<confdeltype {deltype!r}>"),
        )
        actual[fk] = conname

    # Pair up FKs on the same columns first, so a wrong rule or target reads as such.
    by_columns_actual = {fk.columns: fk for fk in actual if fk not in expected}
    for exp in sorted(expected - set(actual), key=lambda f: f.columns):
        got = by_columns_actual.pop(exp.columns, None)
        if got is None:
            problems.append(f"FK missing: {_describe_fk(table, exp)}")
        else:
            problems.append(
                f"FK {actual[got]}: expected {_describe_fk(table, exp)},"
                f" got {_describe_fk(table, got)}"
            )
    for extra in by_columns_actual.values():
        problems.append(f"FK {actual[extra]} not in the contract: {_describe_fk(table, extra)}")
    assert not problems, "\n".join(problems)


# --- 6. indexes -----------------------------------------------------------------------


def _index_problems(exp: Index, row: TupleRow | None) -> list[str]:
    if row is None:
        return [f"index {exp.name} on {exp.table}: missing"]
    _, on_table, unique, primary, key_columns, predicate = row
    where = f"index {exp.name}"
    problems: list[str] = []
    if on_table != exp.table:
        problems.append(f"{where}: expected on table {exp.table}, got on {on_table}")
    if primary:
        problems.append(f"{where}: is the primary-key index, expected a separate index")
    columns = [unquote_ident(c) for c in key_columns]
    if columns != list(exp.columns):
        problems.append(
            f"{where}: expected columns ({', '.join(exp.columns)}), got ({', '.join(columns)})"
        )
    if bool(unique) != exp.unique:
        want = "UNIQUE" if exp.unique else "not unique"
        got = "UNIQUE" if unique else "not unique"
        problems.append(f"{where}: expected {want}, got {got}")
    if normalise_predicate(predicate) != normalise_predicate(exp.predicate):
        want = f"WHERE {exp.predicate}" if exp.predicate else "no predicate"
        got = f"WHERE {predicate}" if predicate else "no predicate"
        problems.append(f"{where}: expected {want}, got {got}")
    return problems


@pytest.mark.parametrize("table", INDEXED_TABLE_NAMES)
def test_indexes(conn: Conn, table: str) -> None:
    require_table(conn, table)
    actual = {row[0]: row for row in fetch_rows(conn, INDEXES_SQL)}
    problems: list[str] = []
    for exp in TABLES_BY_NAME[table].indexes:
        problems += _index_problems(exp, actual.get(exp.name))
    assert not problems, "\n".join(problems)
