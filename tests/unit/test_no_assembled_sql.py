"""No SQL is built in Python: every statement is a text written whole (docs/sql-style.md).

An f-string, ``.format``, ``%`` or ``+`` (or ``join``) applied to SQL hides the statement
that reaches PostgreSQL from a reader and from tests/integration/test_named_statements.py,
and is one quoting slip from an injection. Per-table DDL loops in SQL itself
(``format('%I', ...)`` inside a DO block); a name shared with Python is written out and a
test compares it (tests/unit/test_sql_literals.py).

A string is taken for SQL when it holds a keyword of a statement in capitals, as this code
writes SQL; log messages and error texts are lower-case prose and are left alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED_DIRS = ("domain", "db", "workers", "devtools", "migrations")

# Files still assembling SQL while they are rewritten elsewhere; to be emptied, never grown.

_SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|LISTEN|NOTIFY|TRIGGER|FUNCTION"
    r"|FROM|WHERE|JOIN|UNION|VALUES|RETURNING|ORDER BY|GROUP BY|LIMIT)\b"
)
# Where an interpolated value stands in the text an f-string spells.
_HOLE = "\x00"


def looks_like_sql(text: str) -> bool:
    return _SQL_WORDS.search(text) is not None


def _literal_text(node: ast.AST) -> str | None:
    """The text a string literal or f-string spells (holes marked), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(part.value) if isinstance(part, ast.Constant) else _HOLE for part in node.values
        )
    return None


def _holds_sql(node: ast.AST) -> bool:
    """Whether the expression spells SQL in a literal of its own: ``"SELECT " + x``,
    ``sql.SQL("LISTEN {}")``, ``("DELETE FROM " + t) + w``."""
    return any(
        (text := _literal_text(child)) is not None and looks_like_sql(text)
        for child in ast.walk(node)
    )


def assembled_sql(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, how) for each place ``source`` builds SQL out of pieces."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        how = None
        if isinstance(node, ast.JoinedStr) and _holds_sql(node):
            how = "f-string"
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if _holds_sql(node.left) or _holds_sql(node.right):
                how = "+" if isinstance(node.op, ast.Add) else "%"
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add | ast.Mod):
            if _holds_sql(node.value):
                how = "+=" if isinstance(node.op, ast.Add) else "%="
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "join")
            and (_holds_sql(node.func.value) or any(_holds_sql(arg) for arg in node.args))
        ):
            how = f".{node.func.attr}()"
        if how is not None:
            found.append((getattr(node, "lineno", 0), how))
    return sorted(set(found))


def _scanned_files() -> list[Path]:
    return sorted(path for directory in SCANNED_DIRS for path in (ROOT / directory).rglob("*.py"))


def test_no_sql_is_assembled_in_python() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: SQL built with {how}"
        for path in _scanned_files()
        for line, how in assembled_sql(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not found, "write the statement whole instead:\n" + "\n".join(found)


def test_the_scan_reads_every_directory() -> None:
    scanned = {path.relative_to(ROOT).parts[0] for path in _scanned_files()}
    assert scanned == set(SCANNED_DIRS)


@pytest.mark.parametrize(
    ("source", "how"),
    [
        ('q = f"SELECT id FROM {table}"', "f-string"),
        ('op.execute(f"DROP TYPE IF EXISTS {name}")', "f-string"),
        ('q = f"""\n  UPDATE t\n  SET a = 1 {where}\n"""', "f-string"),
        ('q = "DELETE FROM t WHERE id = " + str(i)', "+"),
        ('q = base + " WHERE id = %(id)s"', "+"),
        ('q = "SELECT * FROM %s" % table', "%"),
        ('q += " ORDER BY created_at"', "+="),
        ('q = "LISTEN {}".format(channel)', ".format()"),
        ('q = sql.SQL("LISTEN {}").format(sql.Identifier(channel))', ".format()"),
        ('q = " UNION ALL ".join(parts)', ".join()"),
        ('q = "\\n".join(["SELECT 1", tail])', ".join()"),
    ],
)
def test_assembled_sql_is_found(source: str, how: str) -> None:
    assert [found for _, found in assembled_sql(source)] == [how]


@pytest.mark.parametrize(
    "source",
    [
        'raise NotFound(f"no submission {submission_id}")',
        'log.info("relay_selected", rows=n)',
        'raise InvalidInput("attempt", f"must be at most {MAX_ATTEMPT}, got {attempt}")',
        'error = f"publish failed: {exc}"[:2000]',
        'message = "status is {}".format(status.value)',
        'why = "the update of %s was refused" % name',
        'key = zlib.crc32(f"vstep-grading:{duty}".encode())',
        'text = "select " + "from the list"',
        'q = "SELECT 1"',
        'q = (\n    "SELECT id FROM submissions "\n    "WHERE status = %(status)s"\n)',
        'conn.execute("SELECT pg_advisory_unlock(%s, %s)", (classid, objid))',
        'label = f"live submissions {s.value}"',
    ],
)
def test_prose_and_whole_statements_pass(source: str) -> None:
    assert assembled_sql(source) == []
