"""The producer processes of the intake NOTIFY benchmark (benchmarks.intake_notify): each
commits single-submission intakes, through our Python intake or through the SQL of
docs/producer-contract.md as producers in other languages run it."""

from __future__ import annotations

import multiprocessing
import random
import re
import time
import uuid
from collections.abc import Sequence
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Json

from benchmarks import common as bench
from db.intake import submit_in_new_transaction
from db.session import make_engine, make_session_factory
from devtools.demo_data import DemoQuestion, demo_answer

PRODUCER_KINDS = ("python", "sql")
CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "producer-contract.md"


def contract_statements() -> list[str]:
    """The statements of docs/producer-contract.md's transaction, psql variables turned
    into psycopg parameters (``:'name'`` -> ``%(name)s``)."""
    text = CONTRACT.read_text(encoding="utf-8")
    _, marker, after = text.partition("<!-- intake-sql")
    block = re.search(r"^```sql\n(.*?)^```", after, flags=re.S | re.M)
    if not marker or block is None:
        raise bench.BenchmarkError(f"{CONTRACT} lost its intake-sql block")
    body = block.group(1)
    if "%" in body:
        raise bench.BenchmarkError("the contract's SQL has a '%', which psycopg would read")
    body = re.sub(r":'(\w+)'", r"%(\1)s", body)
    statements = [part.strip() for part in body.split(";\n") if part.strip()]
    # Without BEGIN and COMMIT: the connection's transaction does that.
    return [s for s in statements if s.rstrip(";").upper() not in ("BEGIN", "COMMIT")]


def produce(
    database_url: str,
    learners: Sequence[tuple[uuid.UUID, float]],
    questions: Sequence[DemoQuestion],
    statements: Sequence[str],
    index: int,
    orders: multiprocessing.Queue[tuple[str, float, float] | None],
    counts: multiprocessing.Queue[int],
    *,
    ready: EventType,
) -> None:
    """A producer process: run each order (kind, start, stop) and report its commits."""
    engine = make_engine(database_url, pool_size=1, application_name="vstep-bench producer")
    factory = make_session_factory(engine)
    conn = psycopg.connect(database_url)
    rng = random.Random(index)
    with engine.connect() as warm:
        warm.execute(sa.text("SELECT 1"))
    ready.set()
    try:
        while (order := orders.get()) is not None:
            kind, start_at, stop_at = order
            time.sleep(max(0.0, start_at - time.time()))  # the agreed start, not a wait on a result
            commits = 0
            while time.time() < stop_at:
                learner_id, ability = rng.choice(learners)
                question = rng.choice(questions)
                answer = demo_answer(rng, question, ability)
                if kind == "python":
                    submit_in_new_transaction(
                        factory,
                        request_id=uuid.uuid4(),
                        user_id=learner_id,
                        question_id=question.id,
                        answer=answer,
                    )
                else:
                    contract_intake(conn, statements, learner_id, question.id, answer)
                commits += 1
            counts.put(commits)
    finally:
        conn.close()
        engine.dispose()


def contract_intake(
    conn: psycopg.Connection[Any],
    statements: Sequence[str],
    user_id: uuid.UUID,
    question_id: uuid.UUID,
    answer: dict[str, Any],
) -> None:
    params = {
        "request_id": str(uuid.uuid4()),
        "user_id": str(user_id),
        "question_id": str(question_id),
        "answer": Json(answer),
        "attempt": "1",
        "trace_id": "",
    }
    with conn.transaction():
        for statement in statements:
            conn.execute(statement, params)
