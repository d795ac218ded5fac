"""The review workspace's reads beyond the queue itself (``db/review_queue.py``).

Counts of what waits (by priority and skill, and the reviewer's own live claims) read
only review_pending rows through ``submissions_review_queue_idx``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from db.statements import Sql, Tx, execute
from domain.enums import ReviewPriority, Skill, SubmissionStatus

REVIEW_COUNTS = Sql(
    """
    SELECT review_priority, skill, count(*) AS n
    FROM submissions
    WHERE status = %(status)s AND deleted_at IS NULL
    GROUP BY review_priority, skill
    """
)

ANSWER_OF = Sql("SELECT answer FROM submission_details WHERE submission_id = %(submission_id)s")


@dataclass(frozen=True)
class QueueCounts:
    by_priority: dict[ReviewPriority | None, int]
    by_skill: dict[Skill, int]
    total: int


def review_counts(session: Tx) -> QueueCounts:
    rows = execute(session, REVIEW_COUNTS, {"status": SubmissionStatus.REVIEW_PENDING.value})
    by_priority: dict[ReviewPriority | None, int] = {}
    by_skill: dict[Skill, int] = {}
    for row in rows:
        priority = ReviewPriority(row.review_priority) if row.review_priority else None
        skill = Skill(row.skill)
        by_priority[priority] = by_priority.get(priority, 0) + row.n
        by_skill[skill] = by_skill.get(skill, 0) + row.n
    return QueueCounts(by_priority, by_skill, sum(by_skill.values()))


def answer_of(session: Tx, *, submission_id: uuid.UUID) -> dict[str, Any] | None:
    """Another submission's answer (the closest text of a copy signal)."""
    row = execute(session, ANSWER_OF, {"submission_id": submission_id}).fetchone()
    answer: dict[str, Any] | None = None if row is None else row.answer
    return answer
