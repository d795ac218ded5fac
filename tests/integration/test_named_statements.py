"""Every named SQL text of db/ prepares against the migrated schema; none is assembled.

A named statement is a module-level ``Sql`` constant (db/statements.py). Each one is
PREPAREd on a freshly migrated database, so a wrong table, column, enum label or a
parameter whose type PostgreSQL cannot infer fails here, not in production. The AST
checks keep every statement a whole text: ``execute`` is handed only ``Sql`` constants,
and no module builds SQL with an f-string, ``+``, ``%`` or ``.format``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from psycopg.pq import ExecStatus

import db
from db.statements import Sql

DB_DIR = Path(db.__file__).parent

# Modules that never query the application's tables: connections, migrations, URLs.
NO_QUERIES = frozenset(
    {
        "db.errors",
        "db.migrate",
        "db.outbox_wakeup",
        "db.reachability",
        "db.session",
        "db.statements",
        "db.urls",
    }
)
# Core statement builders a converted module no longer calls.
CORE_BUILDERS = frozenset({"select", "insert", "update", "delete", "text", "union", "union_all"})
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WITH|FROM|WHERE|VALUES|RETURNING)\b")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(db.__path__, "db.")]
    return [importlib.import_module(name) for name in sorted(names)]


def named_statements() -> Iterator[tuple[str, Sql]]:
    """(module.NAME, text) of every module-level Sql, each text once (where it is defined)."""
    seen: set[int] = set()
    for module in _modules():
        for name, value in vars(module).items():
            if isinstance(value, Sql) and id(value) not in seen and _defines(module, name):
                seen.add(id(value))
                yield f"{module.__name__}.{name}", value


def _defines(module: ModuleType, name: str) -> bool:
    tree = ast.parse(Path(module.__file__ or "").read_text())
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(target, ast.Name) and target.id == name
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        for node in tree.body
    )


def server_text(sql: str) -> str:
    """psycopg's ``%(name)s`` placeholders as the server's ``$n``, numbered in order of
    first appearance (a name used twice is one parameter, as psycopg sends it)."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

    return PLACEHOLDER.sub(number, sql)


STATEMENTS = dict(named_statements())


def test_the_statements_are_found() -> None:
    # The converted table families all hold named statements.
    modules = {name.rsplit(".", 1)[0] for name in STATEMENTS}
    assert {
        "db.callbacks",
        "db.clock",
        "db.outbox",
        "db.outbox_ops",
        "db.staff",
        "db.submission_queries",
        "db.submissions",
        "db.tokens",
    } <= modules


def test_placeholders_become_numbered_parameters() -> None:
    text = server_text(Sql("SELECT %(a)s, %(b)s, %(a)s, 5 %% 2"))
    assert text == "SELECT $1, $2, $1, 5 % 2"


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_named_statement_prepares_against_the_migrated_schema(db_url: str, name: str) -> None:
    with psycopg.connect(db_url) as conn:
        result = conn.pgconn.prepare(b"named_statement", server_text(STATEMENTS[name]).encode())
        message = (result.error_message or b"").decode(errors="replace").strip()
        assert result.status == ExecStatus.COMMAND_OK, f"{name}: {message}"


def _converted_sources() -> Iterator[tuple[ModuleType, ast.Module]]:
    for module in _modules():
        if module.__name__.startswith("db.models"):
            continue
        yield module, ast.parse(Path(module.__file__ or "").read_text())


def _sql_parameters(tree: ast.Module) -> set[tuple[int, str]]:
    """(line of the function, name) of every parameter annotated ``Sql``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                if isinstance(arg.annotation, ast.Name) and arg.annotation.id == "Sql":
                    found.add((node.lineno, arg.arg))
    return found


def _enclosing_functions(tree: ast.Module) -> dict[int, int]:
    """The line of the function each node's line belongs to (innermost)."""
    owner: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                line = getattr(inner, "lineno", None)
                if line is not None and owner.get(line, 0) < node.lineno:
                    owner[line] = node.lineno
    return owner


def test_execute_is_handed_only_named_statements() -> None:
    wrong = []
    for module, tree in _converted_sources():
        parameters, owner = _sql_parameters(tree), _enclosing_functions(tree)
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "execute"
            ):
                continue
            sql = node.args[1] if len(node.args) > 1 else None
            where = f"{module.__name__}:{node.lineno}"
            if isinstance(sql, ast.Name):
                named = isinstance(vars(module).get(sql.id), Sql)
                handed = (owner.get(node.lineno, -1), sql.id) in parameters
                if named or handed:
                    continue
            elif isinstance(sql, ast.Attribute):
                base = vars(module).get(getattr(sql.value, "id", ""))
                if isinstance(getattr(base, sql.attr, None), Sql):
                    continue
            wrong.append(f"{where}: execute() not handed an Sql constant")
    assert wrong == []


def _is_sql(node: ast.AST) -> bool:
    return any(
        isinstance(part, ast.Constant)
        and isinstance(part.value, str)
        and SQL_WORDS.search(part.value) is not None
        for part in ast.walk(node)
    )


def test_no_module_assembles_sql_text() -> None:
    assembled = []
    for module, tree in _converted_sources():
        for node in ast.walk(tree):
            where = f"{module.__name__}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.JoinedStr) and _is_sql(node):
                assembled.append(f"{where}: an f-string of SQL")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
                if _is_sql(node.left) or _is_sql(node.right):
                    assembled.append(f"{where}: SQL joined with + or %")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("format", "join")
                and (_is_sql(node.func.value) or any(_is_sql(arg) for arg in node.args))
            ):
                assembled.append(f"{where}: SQL built with .{node.func.attr}")
    assert assembled == []


def test_sql_texts_are_named_statements() -> None:
    """A converted module's SQL is an Sql constant, never a bare string or a Core builder."""
    bare = []
    for module, tree in _converted_sources():
        if module.__name__ in NO_QUERIES:
            continue
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and isinstance(statement.value, ast.Constant)
                and _is_sql(statement.value)
            ):
                bare.append(f"{module.__name__}:{statement.lineno}: SQL text not wrapped in Sql")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "sa"
                and node.attr in CORE_BUILDERS
            ):
                bare.append(f"{module.__name__}:{node.lineno}: sa.{node.attr} builds a query")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("db.models"):
                bare.append(f"{module.__name__}:{node.lineno}: imports ORM entities")
    assert bare == []


def test_the_no_queries_list_names_real_modules() -> None:
    names = {module.__name__ for module in _modules()}
    assert names >= NO_QUERIES


def test_mypy_waives_the_sql_type_for_no_module() -> None:
    """execute() takes only Sql: mypy checks every call, in every module."""
    config = tomllib.loads((DB_DIR.parent / "pyproject.toml").read_text())
    waived = [
        override["module"]
        for override in config["tool"]["mypy"]["overrides"]
        if "arg-type" in override.get("disable_error_code", [])
    ]
    assert waived == []
