"""The floor: our objective grading's database writes, by hand, in four statements.

For one queued submission, in one transaction, the same rows our ``GradingService``
leaves (tests/integration/test_hand_grading.py compares them):

1. lock the submission (``FOR UPDATE OF s``) with its question, answer and ``now()``;
   grade it with ``domain.objective.grade_objective`` in Python;
2. create the learner's user_progress row for the skill if missing, and lock it;
3. read the last scores of that skill (and, for a learner with goals, the mean of each
   skill's last scores, the new one included);
4. one statement of data-modifying CTEs: submissions queued -> completed (score, band,
   grading_mode 'auto', completed_at; guarded on status), the 'processing' and
   'completed' events, submission_details.result, the user_skill_scores row, the
   user_progress update (``domain.progress`` rules, as db/progress.py applies them)
   and the user_goals band refresh.

Ours walks queued -> processing -> completed in two guarded UPDATEs; here one UPDATE
does both steps, because nobody can see the processing state between them: it only
commits together with completed. Both events are written, processing first. The
updated_at columns are left to the schema's trigger, as ours leaves them.

Only the happy path is covered: a submission that is not queued or retrying (a
duplicate) is left alone; a missing one, one past its deadline, a subjective format or
an invalid answer raises ``HandGradingError`` (ours records those; a benchmark should
never meet one).

One flow (``_flow``, no I/O: it yields statements and is sent their rows) runs on three
drivers: psycopg 3 sync (``grade_by_hand``), psycopg 3 async
(``grade_by_hand_psycopg_async``) and asyncpg (``grade_by_hand_async``; asyncpg is
optional and only imported by its caller). Statement texts are constants, so psycopg
prepares them after ``prepare_threshold`` uses and asyncpg's statement cache keeps them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import tuple_row

from benchmarks.hand_grading_sql import (
    ENSURE_PROGRESS,
    LOCK_PROGRESS_AGAIN,
    LOCK_SUBMISSION,
    RECENT_SCORES,
    RECORD_RESULT,
)
from domain import progress as rules
from domain.enums import FORMAT_SKILL, OBJECTIVE_FORMATS, QuestionFormat, Skill, StreakDirection
from domain.errors import InvalidInput
from domain.objective import grade_objective
from domain.progress import RECENT_WINDOW

if TYPE_CHECKING:
    import asyncpg

# The workerId written on the events when the caller names none.
HAND_WORKER_ID = "hand"
# Statuses a grading may start from: the allowed sources of processing (domain/states.py).
GRADEABLE = ("queued", "retrying")


class HandGradingError(RuntimeError):
    """The submission is off the path the hand-written grading covers."""


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Mapping[str, Any]


Rows = Sequence[Sequence[Any]]
Flow = Generator[Statement, Rows, None]


def _flow(submission_id: uuid.UUID, *, message_id: str | None, worker_id: str) -> Flow:
    """The statements of one grading, each sent its rows back; pure but for the grading."""
    locked = yield Statement(LOCK_SUBMISSION, {"submission_id": submission_id})
    if not locked:
        raise HandGradingError(f"submission {submission_id} not found")
    user_id, status, deadline, now, fmt, content, answer_key, answer = locked[0]
    if status not in GRADEABLE:
        return  # a duplicate: it was graded (or is being failed) already
    now = now.astimezone(UTC)
    if deadline is not None and now > deadline:
        raise HandGradingError(f"submission {submission_id} is past its deadline")
    if fmt not in OBJECTIVE_FORMATS:
        raise HandGradingError(f"submission {submission_id} is {fmt}, not objective")
    try:
        graded = grade_objective(
            fmt, json.loads(content), _json_or_none(answer_key), _json_or_none(answer) or {}
        )
    except InvalidInput as exc:
        raise HandGradingError(f"submission {submission_id}: {exc}") from exc
    skill = FORMAT_SKILL[QuestionFormat(fmt)]
    score = graded.score
    keys = {"user_id": user_id, "skill": skill.value}

    progress = yield Statement(
        ENSURE_PROGRESS, {**keys, "level": rules.level_from_recent([score]).value}
    )
    if not progress:
        progress = yield Statement(LOCK_PROGRESS_AGAIN, keys)
    progress_id, scaffold_level, streak_count, streak_direction, attempt_count = progress[0]

    read = yield Statement(
        RECENT_SCORES,
        {**keys, "score": score, "previous": RECENT_WINDOW - 1, "window": RECENT_WINDOW},
    )
    newest_first, goal_means = read[0]
    recent = [*reversed(newest_first), score]
    direction, count = rules.next_streak(
        recent[-2] if len(recent) >= 2 else None,
        StreakDirection(streak_direction) if streak_direction is not None else None,
        streak_count,
        score,
    )
    level = rules.level_from_recent(recent)
    scaffold = rules.initial_scaffold_level(level) if attempt_count == 0 else scaffold_level
    estimated = _estimated_band(goal_means) if goal_means is not None else None

    where = {"workerId": worker_id, "messageId": message_id or str(submission_id)}
    band = graded.band.value if graded.band is not None else None
    summary = {"correctCount": graded.correct_count, "totalCount": graded.total_count}
    completed_event = {
        "score": float(score),
        "band": band,
        "confidence": 100,
        "grader": "objective",
        "auditFlag": False,
        **summary,
        **where,
    }
    written = yield Statement(
        RECORD_RESULT,
        {
            **keys,
            "submission_id": submission_id,
            "score": score,
            "band": band,
            "processing_event": json.dumps({**where, "attempt": 1}),
            "completed_event": json.dumps(completed_event),
            "result": json.dumps(graded.to_result_json(now)),
            "level": level.value,
            "scaffold_level": rules.next_scaffold_level(skill, scaffold, recent),
            "streak_count": count,
            "streak_direction": direction.value,
            "progress_id": progress_id,
            "estimated_band": estimated,
            "has_goal": goal_means is not None,
        },
    )
    if written[0][0] != 1:
        raise HandGradingError(f"submission {submission_id} changed under its row lock")


def _json_or_none(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _estimated_band(goal_means: Sequence[str]) -> str | None:
    means: dict[Skill, Decimal | None] = {}
    for pair in goal_means:
        skill, mean = pair.split("=", 1)
        means[Skill(skill)] = Decimal(mean)
    band = rules.estimated_band(means)
    return band.value if band is not None else None


def grade_by_hand(
    conn: psycopg.Connection[Any],
    submission_id: uuid.UUID,
    *,
    message_id: str | None = None,
    worker_id: str = HAND_WORKER_ID,
) -> None:
    """Grade one queued submission in one transaction of ``conn`` (committed on return).

    ``conn`` must not be inside a transaction of the caller's (it would become a savepoint).
    """
    flow = _flow(submission_id, message_id=message_id, worker_id=worker_id)
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        statement = next(flow)
        while True:
            rows: Rows = cur.execute(statement.sql, statement.params).fetchall()
            try:
                statement = flow.send(rows)
            except StopIteration:
                return


async def grade_by_hand_psycopg_async(
    conn: psycopg.AsyncConnection[Any],
    submission_id: uuid.UUID,
    *,
    message_id: str | None = None,
    worker_id: str = HAND_WORKER_ID,
) -> None:
    """``grade_by_hand`` on a psycopg 3 async connection."""
    flow = _flow(submission_id, message_id=message_id, worker_id=worker_id)
    async with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        statement = next(flow)
        while True:
            await cur.execute(statement.sql, statement.params)
            rows: Rows = await cur.fetchall()
            try:
                statement = flow.send(rows)
            except StopIteration:
                return


async def grade_by_hand_async(
    conn: asyncpg.Connection,
    submission_id: uuid.UUID,
    *,
    message_id: str | None = None,
    worker_id: str = HAND_WORKER_ID,
) -> None:
    """``grade_by_hand`` on an asyncpg connection (the same statements, numbered)."""
    flow = _flow(submission_id, message_id=message_id, worker_id=worker_id)
    async with conn.transaction():
        statement = next(flow)
        while True:
            sql, names = numbered(statement.sql)
            rows: Rows = list(await conn.fetch(sql, *(statement.params[n] for n in names)))
            try:
                statement = flow.send(rows)
            except StopIteration:
                return


_NAMED = re.compile(r"%\((\w+)\)s")


@cache
def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``%(name)s`` placeholders as ``$1, $2 ...`` (asyncpg), and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)
