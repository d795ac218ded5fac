"""Named queries of learner progress: the score row and the user_progress upsert.

Both happen in the completing transaction. The user_progress row is locked first, so
two submissions of one learner and skill completing at once update it one after the
other, and the score rows get a creation order that matches.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import UserGoal, UserProgress, UserSkillScore
from domain import progress as rules
from domain.enums import Skill
from domain.progress import RECENT_WINDOW


def progress_record_score(
    session: Session, *, submission_id: uuid.UUID, user_id: uuid.UUID, skill: Skill, score: Decimal
) -> bool:
    """Count a completed submission once; False when it was already counted."""
    session.execute(
        insert(UserProgress)
        .values(user_id=user_id, skill=skill, current_level=rules.level_from_recent([score]))
        .on_conflict_do_nothing(index_elements=["user_id", "skill"])
    )
    progress = session.execute(
        sa.select(UserProgress)
        .where(UserProgress.user_id == user_id, UserProgress.skill == skill)
        .with_for_update()
    ).scalar_one()
    inserted = session.execute(
        insert(UserSkillScore)
        .values(
            user_id=user_id,
            skill=skill,
            submission_id=submission_id,
            score=score,
            created_at=sa.func.clock_timestamp(),
        )
        .on_conflict_do_nothing(index_elements=["submission_id"])
        .returning(UserSkillScore.id)
    ).scalar_one_or_none()
    if inserted is None:
        return False
    recent = _recent_scores(session, user_id=user_id, skill=skill)
    previous = recent[-2] if len(recent) >= 2 else None
    direction, count = rules.next_streak(
        previous, progress.streak_direction, progress.streak_count, score
    )
    level = rules.level_from_recent(recent)
    scaffold = (
        rules.initial_scaffold_level(level)
        if progress.attempt_count == 0
        else progress.scaffold_level
    )
    progress.streak_direction = direction
    progress.streak_count = count
    progress.current_level = level
    progress.scaffold_level = rules.next_scaffold_level(skill, scaffold, recent)
    progress.attempt_count = progress.attempt_count + 1
    _update_estimated_band(session, user_id=user_id)
    session.flush()
    return True


def _recent_scores(session: Session, *, user_id: uuid.UUID, skill: Skill) -> list[Decimal]:
    """The last RECENT_WINDOW scores, oldest first."""
    newest_first = session.execute(
        sa.select(UserSkillScore.score)
        .where(UserSkillScore.user_id == user_id, UserSkillScore.skill == skill)
        .order_by(UserSkillScore.created_at.desc(), UserSkillScore.id.desc())
        .limit(RECENT_WINDOW)
    ).scalars()
    return list(reversed(list(newest_first)))


def _update_estimated_band(session: Session, *, user_id: uuid.UUID) -> None:
    """Refresh the learner's goals (if any) with the band their recent scores show."""
    has_goal = session.execute(
        sa.select(sa.literal(1)).where(UserGoal.user_id == user_id).limit(1)
    ).first()
    if has_goal is None:
        return
    ranked = (
        sa.select(
            UserSkillScore.skill,
            UserSkillScore.score,
            sa.func.row_number()
            .over(partition_by=UserSkillScore.skill, order_by=UserSkillScore.created_at.desc())
            .label("n"),
        )
        .where(UserSkillScore.user_id == user_id)
        .subquery()
    )
    means = session.execute(
        sa.select(ranked.c.skill, sa.func.avg(ranked.c.score))
        .where(ranked.c.n <= RECENT_WINDOW)
        .group_by(ranked.c.skill)
    ).all()
    band = rules.estimated_band({Skill(skill): Decimal(mean) for skill, mean in means})
    session.execute(
        sa.update(UserGoal)
        .where(UserGoal.user_id == user_id)
        .values(current_estimated_band=band.value if band else None)
    )
