"""docs/producer-contract.md as producers in other languages run it: its blocks, by psql.

``run_contract_sql`` runs the contract's call of grading_intake_v1 through psql (with
``legacy=True``, the rows written by hand, the old contract), as a producer in another
language would; ``contract_outcome`` reads psql's answer as the document says to.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PRODUCER_CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "producer-contract.md"
# The HTML comments that mark the runnable blocks of the contract; the block follows each.
CONTRACT_SQL_MARKER = "<!-- intake-sql"
LEGACY_SQL_MARKER = "<!-- legacy-intake-sql"
DRIVER_MARKER = "<!-- intake-driver"
PSQL_TIMEOUT_SECONDS = 30


def contract_block(marker: str = CONTRACT_SQL_MARKER, language: str = "sql") -> str:
    """A runnable block of docs/producer-contract.md: the one after ``marker``."""
    text = PRODUCER_CONTRACT.read_text(encoding="utf-8")
    _, found, after = text.partition(marker)
    assert found, f"{PRODUCER_CONTRACT} lost its {marker} marker"
    block = re.search(rf"^```{language}\n(.*?)^```", after, flags=re.S | re.M)
    assert block is not None, f"no ```{language} block after {marker} in {PRODUCER_CONTRACT}"
    return block.group(1)


def contract_sql() -> str:
    """The call of grading_intake_v1 in docs/producer-contract.md."""
    return contract_block(CONTRACT_SQL_MARKER)


def psql_contract(
    db_url: str,
    *,
    request_id: uuid.UUID | str,
    user_id: uuid.UUID | str,
    question_id: uuid.UUID | str,
    answer: Mapping[str, Any] | str,
    attempt: int = 1,
    trace_id: str = "",
    legacy: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the contract's SQL through psql exactly as written; the finished process."""
    variables = {
        "request_id": str(request_id),
        "user_id": str(user_id),
        "question_id": str(question_id),
        "answer": answer if isinstance(answer, str) else json.dumps(answer),
        "attempt": str(attempt),
        "trace_id": trace_id,
    }
    command = ["psql", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-X", "-q", db_url]
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    return subprocess.run(
        [*command, "-f", "-"],
        input=contract_block(LEGACY_SQL_MARKER) if legacy else contract_sql(),
        capture_output=True,
        text=True,
        timeout=PSQL_TIMEOUT_SECONDS,
        check=False,
    )


def psql_tables(stdout: str) -> list[list[dict[str, str]]]:
    """psql's aligned output as one list of rows per result, each row column -> text."""
    tables: list[list[dict[str, str]]] = []
    for block in stdout.strip().split("\n\n"):
        lines = block.splitlines()
        if len(lines) < 3 or not set(lines[1]) <= set("-+"):
            continue  # not a result table (a notice, a command tag)
        header = [name.strip() for name in lines[0].split("|")]
        # lines[2:-1]: the rows between the dashes and the "(n rows)" footer
        rows = [[cell.strip() for cell in line.split("|")] for line in lines[2:-1]]
        tables.append([dict(zip(header, row, strict=True)) for row in rows])
    return tables


def contract_refusal(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """What psql printed of a refusal (VERBOSITY=verbose): its SQLSTATE, name and field."""
    state = re.search(r"ERROR:\s+(\w{5}):", done.stderr)
    name = re.search(r"^CONSTRAINT NAME:\s+(\S+)", done.stderr, flags=re.M)
    field = re.search(r"^COLUMN NAME:\s+(\S+)", done.stderr, flags=re.M)
    assert state is not None, done.stderr
    return {
        "sqlstate": state.group(1),
        "refusal": name.group(1) if name else "",
        "field": field.group(1) if field else "",
    }


def contract_outcome(done: subprocess.CompletedProcess[str]) -> str:
    """created | replay | conflict | refused, read from psql's answer as the contract tells
    a producer to: the row's ``created``, or the refusal's SQLSTATE."""
    if done.returncode != 0:
        return {"VG001": "refused", "VG002": "conflict"}[contract_refusal(done)["sqlstate"]]
    (row,) = psql_tables(done.stdout)[-1]
    return "created" if row["created"] == "t" else "replay"


def run_contract_sql(db_url: str, **request: Any) -> None:
    """Run the contract's SQL through psql (``psql_contract``'s arguments); AssertionError
    with psql's stderr if it fails."""
    done = psql_contract(db_url, **request)
    assert done.returncode == 0, f"psql exited {done.returncode}: {done.stderr}"
