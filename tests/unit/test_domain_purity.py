"""domain/ holds pure rules: it must not reach for a database, a broker or a driver."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import domain

DOMAIN_DIR = Path(domain.__file__).parent
FORBIDDEN_ROOTS = {"sqlalchemy", "dramatiq", "redis", "psycopg", "db", "workers", "alembic"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(DOMAIN_DIR.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_no_io_layer(path: Path) -> None:
    # given a domain module / when its imports are read / then none is an I/O layer
    assert _imported_roots(path).isdisjoint(FORBIDDEN_ROOTS)
