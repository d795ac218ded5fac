"""The migrated database matches the shared schema (docs/data-model.md), read from the catalogs.

Every check reads ``pg_catalog`` of a database built by the Alembic migrations
(fixture ``cli_migrated_db_url``, built by ``vstep-grading db upgrade``) and
compares it with the plain-data transcription of
that contract in ``expected_schema``. Nothing here looks at the SQLAlchemy models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

import psycopg
import pytest
from psycopg.rows import TupleRow

from tests.migrations.expected_schema import (
    ALLOWED_EXTRA_TABLES,
    ENUMS,
    TABLES,
    TABLES_BY_NAME,
    Column,
    ForeignKey,
    Index,
    Table,
)

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


# --- normalisation --------------------------------------------------------------------

# A trailing cast such as ``::submission_status``, ``::character varying(50)``,
# ``::timestamp with time zone``, ``::"Quoted"``, ``::public.skill``, ``::text[]``.
_CAST_RE: Final = re.compile(
    r"::\s*(?:\w+\.)?"
    r"(?:\"[^\"]+\""
    r"|character\s+varying"
    r"|(?:timestamp|time)\s+with(?:out)?\s+time\s+zone"
    r"|double\s+precision"
    r"|bit\s+varying"
    r"|\w+)"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?"
    r"(?:\[\])*",
    re.IGNORECASE,
)

# Spellings PostgreSQL treats exactly like now() (the transaction's start time).
_NOW_SYNONYMS: Final = frozenset({"current_timestamp", "transaction_timestamp()"})


def strip_casts(expr: str) -> str:
    return _CAST_RE.sub("", expr)


def _strip_outer_parens(expr: str) -> str:
    """Remove parentheses that enclose the whole expression, repeatedly."""
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, ch in enumerate(expr):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0 and i != len(expr) - 1:
                    return expr  # the first "(" closes before the end: not enclosing
        expr = expr[1:-1].strip()
    return expr


def normalise_default(expr: str | None) -> str | None:
    """``'pending'::submission_status`` -> ``pending``; ``now()`` -> ``now()``; etc."""
    if expr is None:
        return None
    text = _strip_outer_parens(strip_casts(expr).strip())
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    text = re.sub(r"\s+", " ", text).lower()
    if text in _NOW_SYNONYMS:
        return "now()"
    return text


def normalise_predicate(expr: str | None) -> tuple[str, ...] | None:
    """A partial-index predicate as a sorted tuple of its AND-ed terms.

    ``((is_active = true) AND (deleted_at IS NULL))`` and
    ``is_active = true AND deleted_at IS NULL`` both become
    ``('deleted_at is null', 'is_active')``.
    """
    if expr is None:
        return None
    text = strip_casts(expr).replace("(", " ").replace(")", " ")
    text = re.sub(r"\s*(<>|!=|<=|>=|=|<|>)\s*", r" \1 ", text)
    text = re.sub(r"\s+", " ", text).strip().lower()
    terms = []
    for term in re.split(r"\band\b", text):
        term = term.strip()
        term = re.sub(r"^(\w+) = true$", r"\1", term)  # "x = true" is "x"
        terms.append(term)
    return tuple(sorted(terms))


def _unquote_ident(name: str) -> str:
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name


def _normalise_type(type_name: str) -> str:
    return type_name.removeprefix("public.")


# --- catalog reads --------------------------------------------------------------------

_ENUMS_SQL: Final = """
    SELECT t.typname::text, e.enumlabel::text
    FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = 'public' AND t.typtype = 'e'
    ORDER BY t.typname, e.enumsortorder
"""

_TABLES_SQL: Final = """
    SELECT c.relname::text
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""

_COLUMNS_SQL: Final = """
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

_PRIMARY_KEY_SQL: Final = f"""
    SELECT con.conname::text,
           {_CONSTRAINT_COLUMNS.format(keys="con.conkey", rel="con.conrelid")}
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = %s AND con.contype = 'p'
"""

_FOREIGN_KEYS_SQL: Final = f"""
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

_INDEXES_SQL: Final = """
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


@pytest.fixture(scope="module")
def conn(cli_migrated_db_url: str) -> Iterator[Conn]:
    # Read-only checks: one database, built by the real `vstep-grading db upgrade`, serves all.
    with psycopg.connect(cli_migrated_db_url, autocommit=True) as connection:
        yield connection


def _rows(conn: Conn, query: str, *params: Any) -> list[TupleRow]:
    return conn.execute(query, params or None).fetchall()


def _require_table(conn: Conn, table: str) -> None:
    existing = {r[0] for r in _rows(conn, _TABLES_SQL)}
    if table not in existing:
        pytest.fail(f"{table}: table is missing", pytrace=False)


# --- self-checks of the helpers and of the transcription (no database) -----------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("'pending'::submission_status", "pending"),
        ("'learner'::user_role", "learner"),
        ("'in_progress'::public.exam_status", "in_progress"),
        ("now()", "now()"),
        ("CURRENT_TIMESTAMP", "now()"),
        ("gen_random_uuid()", "gen_random_uuid()"),
        ("false", "false"),
        ("true", "true"),
        ("0", "0"),
        ("30", "30"),
        ("'1'::integer", "1"),
        ("'x'::character varying(50)", "x"),
        (None, None),
    ],
)
def test_normalise_default(raw: str | None, expected: str | None) -> None:
    assert normalise_default(raw) == expected


@pytest.mark.parametrize(
    ("actual", "spec"),
    [
        ("(deleted_at IS NULL)", "deleted_at IS NULL"),
        (
            "((is_active = true) AND (deleted_at IS NULL))",
            "is_active = true AND deleted_at IS NULL",
        ),
        ("(is_active AND (deleted_at IS NULL))", "is_active = true AND deleted_at IS NULL"),
        (
            "((status = 'review_pending'::submission_status) AND (deleted_at IS NULL))",
            "status = 'review_pending' AND deleted_at IS NULL",
        ),
        ("(status = 'pending'::outbox_status)", "status = 'pending'"),
    ],
)
def test_normalise_predicate(actual: str, spec: str) -> None:
    assert normalise_predicate(actual) == normalise_predicate(spec)


def test_normalise_predicate_tells_apart() -> None:
    assert normalise_predicate("(status = 'pending'::outbox_status)") != normalise_predicate(
        "status = 'processing'"
    )
    assert normalise_predicate("(revoked_at IS NULL)") != normalise_predicate(
        "revoked_at IS NOT NULL"
    )


def test_expected_schema_is_self_consistent() -> None:
    assert len(ENUMS) == 11
    assert len(TABLES) == 16
    assert len(TABLES_BY_NAME) == 16
    problems: list[str] = []
    index_names: set[str] = set()
    for table in TABLES:
        names = [c.name for c in table.columns]
        if len(names) != len(set(names)):
            problems.append(f"{table.name}: duplicate expected column")
        cols = {c.name: c for c in table.columns}
        for col in table.columns:
            if col.type not in ENUMS and col.type.split("(")[0] not in {
                "uuid",
                "text",
                "jsonb",
                "integer",
                "boolean",
                "numeric",
                "timestamp with time zone",
                "character varying",
            }:
                problems.append(f"{table.name}.{col.name}: unknown type {col.type}")
        problems += [
            f"{table.name}: PK column {c} not a column" for c in table.primary_key if c not in cols
        ]
        for fk in table.foreign_keys:
            problems += [
                f"{table.name}: FK column {c} unknown" for c in fk.columns if c not in cols
            ]
            ref = TABLES_BY_NAME.get(fk.ref_table)
            if ref is None or not set(fk.ref_columns) <= {c.name for c in ref.columns}:
                problems.append(f"{table.name}: FK target {fk.ref_table}{fk.ref_columns} unknown")
        for ix in table.indexes:
            if ix.table != table.name:
                problems.append(f"{ix.name}: listed under {table.name} but says {ix.table}")
            if ix.name in index_names:
                problems.append(f"{ix.name}: duplicate index name")
            index_names.add(ix.name)
            problems += [f"{ix.name}: column {c} unknown" for c in ix.columns if c not in cols]
    assert not problems, "\n".join(problems)


# --- 1. enums -------------------------------------------------------------------------


def _actual_enums(conn: Conn) -> dict[str, list[str]]:
    enums: dict[str, list[str]] = {}
    for typname, label in _rows(conn, _ENUMS_SQL):
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
    actual = {r[0] for r in _rows(conn, _TABLES_SQL)}
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
    actual_type = _normalise_type(type_name)
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
    _require_table(conn, table)
    spec: Table = TABLES_BY_NAME[table]
    actual = {row[0]: row for row in _rows(conn, _COLUMNS_SQL, table)}
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
    _require_table(conn, table)
    expected = list(TABLES_BY_NAME[table].primary_key)
    rows = _rows(conn, _PRIMARY_KEY_SQL, table)
    assert rows, f"{table}: no primary key, expected PRIMARY KEY ({', '.join(expected)})"
    ((_, columns),) = rows
    assert list(columns) == expected, (
        f"{table}: expected PRIMARY KEY ({', '.join(expected)}), got ({', '.join(columns)})"
    )


# --- 5. foreign keys ------------------------------------------------------------------


def _describe_fk(table: str, fk: ForeignKey) -> str:
    return (
        f"{table}({', '.join(fk.columns)}) -> {fk.ref_table}({', '.join(fk.ref_columns)})"
        f" ON DELETE {fk.on_delete}"
    )


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_foreign_keys(conn: Conn, table: str) -> None:
    _require_table(conn, table)
    expected = set(TABLES_BY_NAME[table].foreign_keys)
    actual: dict[ForeignKey, str] = {}
    problems: list[str] = []
    for conname, columns, ref_schema, ref_table, ref_columns, deltype in _rows(
        conn, _FOREIGN_KEYS_SQL, table
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
    columns = [_unquote_ident(c) for c in key_columns]
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
    _require_table(conn, table)
    actual = {row[0]: row for row in _rows(conn, _INDEXES_SQL)}
    problems: list[str] = []
    for exp in TABLES_BY_NAME[table].indexes:
        problems += _index_problems(exp, actual.get(exp.name))
    assert not problems, "\n".join(problems)
