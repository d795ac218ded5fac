"""Production code (workers/, db/) never loads the development tools at import time.

The one exception is the `dev` command, which imports them inside its own body.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import db
import workers

PRODUCTION_DIRS = [Path(db.__file__).parent, Path(workers.__file__).parent]
ROOT = Path(workers.__file__).parent.parent
# (module path, function) pairs allowed to import devtools, lazily.
LAZY_IMPORTERS = {("workers/cli/main.py", "dev")}


def _devtools_imports(path: Path) -> list[str | None]:
    """The enclosing function of each devtools import in ``path`` (None: module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str | None] = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        if any(name.split(".")[0] == "devtools" for name in names):
            found.append(function)
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


PRODUCTION_MODULES = sorted(path for root in PRODUCTION_DIRS for path in root.rglob("*.py"))


@pytest.mark.parametrize("path", PRODUCTION_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_production_module_does_not_import_devtools(path: Path) -> None:
    # given a production module / when its imports are read
    relative = path.relative_to(ROOT).as_posix()
    importers = _devtools_imports(path)
    # then devtools is imported only lazily, inside the `dev` command
    assert all((relative, function) in LAZY_IMPORTERS for function in importers), importers


def test_the_dev_command_still_imports_devtools_lazily() -> None:
    # the allowance above is used: the command exists and loads devtools in its body
    assert _devtools_imports(ROOT / "workers/cli/main.py") == ["dev"]
