"""Named queries of learner progress: the user_progress row, locked with what it needs.

A completing transaction locks the learner's user_progress row for the skill before it
writes the score row (db/completion.py), so two submissions of one learner and skill
completing at once update it one after the other, and the score rows get a creation
order that matches.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from db.statements import Sql, Tx, execute
from domain import progress as rules
from domain.enums import QuestionLevel, Skill, StreakDirection, VstepBand
from domain.progress import RECENT_WINDOW, Progress

# The skill's recent scores (newest first) and, for a learner with goals, every skill's,
# read with the lock in one round trip. The 10s are RECENT_WINDOW (checked below).
#
# Under READ COMMITTED the reads see the statement's snapshot, taken before any wait for
# the lock: if another completion held the row and committed meanwhile, its score is
# not in them. The row's version says so: the locked row is the newest version, while
# the sub-select sees the snapshot's. A difference sends the caller to read again.
PROGRESS_LOCK = Sql(
    """
    WITH created AS (
        -- A learner's first score of the skill: the row is made here, locked by its insert.
        -- The level is a placeholder that the completing update replaces.
        INSERT INTO user_progress (user_id, skill, current_level)
        VALUES (%(user_id)s, %(skill)s, 'A1')
        ON CONFLICT (user_id, skill) DO NOTHING
        RETURNING id, current_level, scaffold_level, streak_count, streak_direction,
                  attempt_count, true AS fresh
    ),
    locked AS (
        SELECT p.id, p.current_level, p.scaffold_level, p.streak_count, p.streak_direction,
               p.attempt_count,
               p.xmin::text = (
                   SELECT seen.xmin::text FROM user_progress seen WHERE seen.id = p.id
               ) AS fresh
        FROM user_progress p
        WHERE p.user_id = %(user_id)s AND p.skill = %(skill)s
        FOR UPDATE OF p
    ),
    progress AS (SELECT * FROM created UNION ALL SELECT * FROM locked)
    SELECT progress.*,
           ARRAY(
               SELECT s.score FROM user_skill_scores s
               WHERE s.user_id = %(user_id)s AND s.skill = %(skill)s
               ORDER BY s.created_at DESC, s.id DESC LIMIT 10
           ) AS recent,
           CASE WHEN EXISTS (SELECT 1 FROM user_goals g WHERE g.user_id = %(user_id)s) THEN (
               SELECT coalesce(jsonb_object_agg(per_skill.skill, per_skill.scores), '{}'::jsonb)
               FROM (
                   SELECT ranked.skill, jsonb_agg(ranked.score::text ORDER BY ranked.n) AS scores
                   FROM (
                       SELECT s.skill, s.score, row_number() OVER (
                           PARTITION BY s.skill ORDER BY s.created_at DESC, s.id DESC
                       ) AS n
                       FROM user_skill_scores s WHERE s.user_id = %(user_id)s
                   ) ranked
                   WHERE ranked.n <= 10
                   GROUP BY ranked.skill
               ) per_skill
           ) END AS goal_scores
    FROM progress
    """
)
assert "LIMIT 10\n" in PROGRESS_LOCK and "n <= 10\n" in PROGRESS_LOCK and RECENT_WINDOW == 10


@dataclass(frozen=True)
class LockedProgress:
    """The learner's progress row, locked, with the scores the next update needs."""

    id: uuid.UUID
    progress: Progress
    # The skill's scores so far, oldest first (at most RECENT_WINDOW).
    earlier: list[Decimal]
    # Every skill's recent scores, oldest first, when the learner has goals; else None.
    goal_scores: dict[Skill, list[Decimal]] | None

    def after(self, skill: Skill, score: Decimal) -> tuple[Progress, VstepBand | None]:
        """The row after ``score``, and the band the learner's goals now estimate."""
        updated = rules.record_score(skill, self.progress, self.earlier, score)
        if self.goal_scores is None:
            return updated, None
        scores = {**self.goal_scores, skill: [*self.earlier, score]}
        band = rules.estimated_band({s: rules.skill_mean(v) for s, v in scores.items() if v})
        return updated, band


def progress_lock(session: Tx, *, user_id: uuid.UUID, skill: Skill) -> LockedProgress:
    """Lock (creating it if need be) the learner's row for ``skill``, with its scores."""
    params = {"user_id": user_id, "skill": skill.value}
    row = execute(session, PROGRESS_LOCK, params).fetchone()
    # None: another transaction made the row while this one waited to insert it, and
    # neither half saw it. Not fresh: the reads missed what the lock's holder wrote. A new
    # statement sees both; once the lock is this transaction's, the next read is fresh.
    for _ in range(2):
        if row is not None and row.fresh:
            break
        row = execute(session, PROGRESS_LOCK, params).fetchone()
    assert row is not None and row.fresh, "user_progress row changed under its lock"
    recent, goal_scores = row.recent, row.goal_scores
    return LockedProgress(
        id=row.id,
        progress=Progress(
            current_level=QuestionLevel(row.current_level),
            scaffold_level=row.scaffold_level,
            streak_count=row.streak_count,
            streak_direction=(
                StreakDirection(row.streak_direction) if row.streak_direction else None
            ),
            attempt_count=row.attempt_count,
        ),
        earlier=list(reversed(recent)),
        goal_scores=_goal_scores(goal_scores),
    )


def progress_update_params(
    locked: LockedProgress, user_id: uuid.UUID, updated: Progress, band: VstepBand | None
) -> dict[str, Any]:
    assert updated.current_level is not None
    return {
        "p_id": locked.id,
        "p_user_id": user_id,
        "p_level": updated.current_level.value,
        "p_scaffold": updated.scaffold_level,
        "p_streak_count": updated.streak_count,
        "p_streak_direction": (
            updated.streak_direction.value if updated.streak_direction else None
        ),
        "p_attempts": updated.attempt_count,
        "g_band": band.value if band else None,
    }


def _goal_scores(value: Mapping[str, Sequence[str]] | None) -> dict[Skill, list[Decimal]] | None:
    if value is None:
        return None
    # Read newest first; the rules take them oldest first.
    return {Skill(skill): [Decimal(s) for s in reversed(scores)] for skill, scores in value.items()}
