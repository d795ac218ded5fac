"""Completing a submission: everything it writes, in one statement after the progress lock.

The walk into completed with each step's event, the result document, the score row and
the learner's progress (and goals) are data-modifying CTEs of ONE statement, keyed on
the walk: when the submission did not move, nothing else is written. With the
submission already locked by the caller, completing costs two round trips: the
progress lock with its reads (db/progress.py), then this.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from db.progress import (
    goals_update_sql,
    progress_lock,
    progress_update_params,
    progress_update_sql,
)
from db.statements import Tx, column_value, execute, jsonb
from db.submissions import Step, Walk
from domain.enums import Skill, SubmissionStatus


def submission_complete(
    session: Tx,
    *,
    id: uuid.UUID,
    user_id: uuid.UUID,
    skill: Skill,
    steps: Sequence[Step],
    values: Mapping[str, Any],
    result: Mapping[str, Any],
    score: Decimal | None,
) -> bool:
    """Walk ``steps`` (the last into completed), store ``result`` and count ``score`` in
    the learner's progress once; True when the submission moved."""
    if not steps or steps[-1].to is not SubmissionStatus.COMPLETED:
        raise ValueError("a completion walks into completed")
    walk = Walk.of(steps, values)
    params = walk.params(id)
    params["result"] = jsonb(result)
    has_goals = False
    if score is not None:
        locked = progress_lock(session, user_id=user_id, skill=skill)
        updated, band = locked.after(skill, score)
        has_goals = locked.goal_scores is not None
        params["score"] = column_value(score)
        params.update(progress_update_params(locked, user_id, updated, band))
    sql = _completion_sql(walk.sql, score is not None, has_goals)
    row = execute(session, sql, params).fetchone()
    return row is not None and bool(row.moved)


@functools.cache
def _completion_sql(walk: str, scored: bool, has_goals: bool) -> str:
    ctes = [
        walk,
        """
        stored AS (
            UPDATE submission_details SET result = %(result)s, updated_at = now()
            WHERE submission_id IN (SELECT id FROM moved)
        )""",
    ]
    if scored:
        ctes.append(
            """
        scored AS (
            INSERT INTO user_skill_scores (user_id, skill, submission_id, score, created_at)
            SELECT moved.user_id, moved.skill, moved.id, %(score)s, clock_timestamp()
            FROM moved
            ON CONFLICT (submission_id) DO NOTHING
            RETURNING id
        )"""
        )
        ctes.append(progress_update_sql())
        if has_goals:
            ctes.append(goals_update_sql())
    return "WITH " + ",".join(ctes) + "\nSELECT count(*) > 0 AS moved FROM moved"
