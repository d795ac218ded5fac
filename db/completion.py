"""Completing a submission: everything it writes, in one statement after the progress lock.

The walk into completed with each step's event, the result document, the score row and
the learner's progress (and goals) are data-modifying CTEs of ONE statement
(``db/submissions.py`` ``WALK``), keyed on the walk: when the submission did not move,
nothing else is written. With the submission already locked by the caller, completing
costs two round trips: the progress lock with its reads (db/progress.py), then this.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from db.progress import progress_lock, progress_update_params
from db.statements import Tx, execute, jsonb
from db.submissions import NOT_COMPLETING, WALK, Step, walk_params
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
    params = {**walk_params(id, steps, values), **NOT_COMPLETING, "result": jsonb(result)}
    if score is not None:
        locked = progress_lock(session, user_id=user_id, skill=skill)
        updated, band = locked.after(skill, score)
        params["score"] = score
        params["has_goals"] = locked.goal_scores is not None
        params.update(progress_update_params(locked, user_id, updated, band))
    return execute(session, WALK, params).fetchone() is not None
