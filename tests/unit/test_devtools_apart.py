"""Production code (workers/, db/) never imports the development tools, not even lazily.

The `dev` command is added by devtools itself, through the `vstep_grading.commands`
entry-point group that the CLI reads (pyproject.toml).
"""

from __future__ import annotations

import ast
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import db
import workers
from workers.cli import main as cli_main

PRODUCTION_DIRS = [Path(db.__file__).parent, Path(workers.__file__).parent]
ROOT = Path(workers.__file__).parent.parent


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
    # then devtools is not imported anywhere in it, at module level or in a function
    assert importers == [], relative


def test_the_dev_command_comes_from_devtools_through_the_entry_point() -> None:
    # given the installed distribution's command group
    commands = {entry.name: entry for entry in entry_points(group=cli_main.COMMAND_GROUP)}
    # then `dev` is declared by devtools, and the CLI has it
    assert commands["dev"].module.split(".")[0] == "devtools"
    assert "dev" in {command.name for command in cli_main.app.registered_commands}
