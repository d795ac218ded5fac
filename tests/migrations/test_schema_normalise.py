"""The normalisation helpers and the expected schema itself, checked without a database."""

from __future__ import annotations

import pytest

from tests.migrations.expected_schema import (
    ENUMS,
    TABLES,
    TABLES_BY_NAME,
)
from tests.migrations.schema_normalise import (
    normalise_default,
    normalise_predicate,
)

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
