"""domain.events.EventKind names every kind our code writes to submission_events.

Python code passes members of the enum; SQL texts that write or read a kind by name
(intake's one statement, the demo's counts) may spell it, but only as a member's value.
docs/grading-pipeline.md lists the same kinds, neither more nor fewer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from domain.enums import SubmissionStatus
from domain.events import TRANSITION_EVENT, EventKind

ROOT = Path(__file__).resolve().parents[2]
# Code that runs in production or the demo; tests seed whatever events they need.
CODE_DIRS = ("domain", "db", "workers", "devtools", "migrations", "benchmarks")
# The functions that append an event, and the keyword that names its kind.
WRITERS = {"submission_event_append", "submission_transition", "Step", "_skip"}
KIND_KEYWORDS = {"kind", "event_kind"}

# In SQL: the kind written by INSERT INTO submission_events ... SELECT|VALUES (x, 'kind',
# and a kind compared by name (kind = 'x', kind IN ('x', 'y')).
_SQL_INSERT = re.compile(
    r"INSERT INTO submission_events\s*\(\s*submission_id\s*,\s*kind\b[^)]*\)\s*"
    r"(?:SELECT|VALUES\s*\()\s*[^,']+,\s*'([^']*)'",
    re.IGNORECASE,
)
_SQL_COMPARE = re.compile(r"\bkind\s*(?:=|<>|!=)\s*'([^']*)'", re.IGNORECASE)
_SQL_IN = re.compile(r"\bkind\s+IN\s*\(([^)]*)\)", re.IGNORECASE)


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _kinds_in_sql(text: str) -> list[str]:
    kinds = _SQL_INSERT.findall(text) + _SQL_COMPARE.findall(text)
    for listed in _SQL_IN.findall(text):
        kinds += re.findall(r"'([^']*)'", listed)
    return kinds


def test_every_transition_writes_a_member() -> None:
    assert set(TRANSITION_EVENT) == set(SubmissionStatus)
    assert all(isinstance(kind, EventKind) for kind in TRANSITION_EVENT.values())


def test_python_code_names_kinds_through_the_enum() -> None:
    """A writer given a bare string, or a member that does not exist, is named here."""
    problems = []
    members = set(EventKind.__members__)
    for path, module in _modules():
        where = path.relative_to(ROOT)
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and _name(node.func) in WRITERS:
                for keyword in node.keywords:
                    if keyword.arg not in KIND_KEYWORDS:
                        continue
                    value = keyword.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        problems.append(
                            f"{where}:{node.lineno}: kind {value.value!r} is a bare string"
                        )
                    elif (
                        isinstance(value, ast.Attribute)
                        and isinstance(value.value, ast.Name)
                        and value.value.id == "EventKind"
                        and value.attr not in members
                    ):
                        problems.append(
                            f"{where}:{node.lineno}: EventKind.{value.attr} is no member"
                        )
            # SubmissionEvent.kind == "x" in a query, or {"kind": "x"} in an insert's rows.
            if isinstance(node, ast.Compare) and ast.unparse(node.left) == "SubmissionEvent.kind":
                for right in node.comparators:
                    if isinstance(right, ast.Constant) and isinstance(right.value, str):
                        problems.append(
                            f"{where}:{node.lineno}: kind compared with {right.value!r}"
                        )
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "kind"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and _in_event_insert(module, node)
                    ):
                        problems.append(f"{where}:{node.lineno}: event kind {value.value!r}")
    assert problems == []


def _in_event_insert(module: ast.Module, target: ast.Dict) -> bool:
    """Whether ``target`` sits in a function that inserts SubmissionEvent rows."""
    for function in ast.walk(module):
        if isinstance(function, ast.FunctionDef) and any(n is target for n in ast.walk(function)):
            return "SubmissionEvent" in ast.unparse(function)
    return False


def test_every_kind_in_sql_text_is_a_member() -> None:
    values = {kind.value for kind in EventKind}
    found: dict[str, list[str]] = {}
    for path, module in _modules():
        for node in ast.walk(module):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for kind in _kinds_in_sql(node.value):
                    found.setdefault(kind, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    unknown = {kind: places for kind, places in found.items() if kind not in values}
    assert unknown == {}
    # The statements this test exists for are found at all: the intake functions of the
    # migrations write their kind in SQL (Python's statements take kinds as parameters).
    assert "submitted" in found


def test_sql_patterns_find_what_they_are_for() -> None:
    """The patterns above see a kind where SQL writes or compares one (they can fail)."""
    insert = "INSERT INTO submission_events (submission_id, kind, data, occurred_at)\n"
    assert _kinds_in_sql(insert + "SELECT s.id, 'handed_in', x FROM s") == ["handed_in"]
    assert _kinds_in_sql(insert + "VALUES (%(id)s, 'queued', %(d)s, now())") == ["queued"]
    assert _kinds_in_sql("WHERE e.kind = 'spot_chek'") == ["spot_chek"]
    assert _kinds_in_sql("WHERE kind IN ('a', 'b')") == ["a", "b"]


def test_docs_list_every_kind() -> None:
    """docs/grading-pipeline.md#event-kinds: one table row per kind, in the enum's order."""
    text = (ROOT / "docs" / "grading-pipeline.md").read_text(encoding="utf-8")
    section = text.split("## Event kinds", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    assert documented == [kind.value for kind in EventKind]
