"""What the review workspace reads from a request and shows beside an answer: the queue's
filters and keyset cursor, the item's id, a criterion's score as typed, the neighbour
to open next, and the copy signal's marked texts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request

from db.console_review import answer_of
from domain.confidence import NEAR_COPY_SIMILARITY
from domain.enums import ReviewPriority, Skill
from domain.errors import InvalidInput, NotFound
from domain.shared_runs import shared_runs


@dataclass(frozen=True)
class Filters:
    skill: Skill | None = None
    priority: ReviewPriority | None = None
    # "all", "mine" (my live claims) or "unclaimed"
    who: str = "all"

    @classmethod
    def of(cls, query: Any) -> Filters:
        skill = query.get("skill") or None
        priority = query.get("priority") or None
        who = query.get("who") or "all"
        return cls(
            Skill(skill) if skill in set(Skill) else None,
            ReviewPriority(priority) if priority in set(ReviewPriority) else None,
            who if who in ("all", "mine", "unclaimed") else "all",
        )

    def query(self) -> str:
        pairs = {"skill": self.skill, "priority": self.priority, "who": self.who}
        kept = {k: str(v) for k, v in pairs.items() if v and v != "all"}
        return urlencode(kept)


def copy_signal(
    session: Session,
    result: dict[str, Any],
    question: dict[str, Any],
    answer: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The closest text of a near copy and the wording both share, or None."""
    factor = (result.get("confidenceFactors") or {}).get("contentSimilarity") or {}
    basis = factor.get("basis") or {}
    if float(basis.get("highestCosine") or 0) < NEAR_COPY_SIMILARITY:
        return None
    kind = basis.get("closest")
    content = question.get("content") or {}
    if basis.get("closestSubmissionId"):
        other = answer_of(session, submission_id=uuid.UUID(basis["closestSubmissionId"]))
        closest = _text_of(other)
    elif kind == "prompt":
        closest = str(content.get("prompt") or "")
    else:
        closest = str((content.get("scaffolding") or {}).get(kind or "") or "")
    mine = _text_of(answer)
    if not closest or not mine:
        return None
    left, right, runs = shared_runs(mine, closest)
    return {
        "kind": kind,
        "submission_id": basis.get("closestSubmissionId"),
        "cosine": basis.get("highestCosine"),
        "answer": left,
        "closest": right,
        "runs": runs,
    }


def criterion_score(name: str, raw: str) -> Decimal | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(name, f"{text!r} is not a number") from None
    if not Decimal(0) <= value <= Decimal(10) or (value * 2) % 1:
        raise InvalidInput(name, f"{text} is not a score 0-10 in steps of 0.5")
    return value


def _text_of(answer: dict[str, Any] | None) -> str:
    answer = answer or {}
    return str(answer.get("text") or answer.get("transcript") or "")


def queue_cursor(value: str | None) -> tuple[int, datetime, uuid.UUID] | None:
    """The queue's keyset cursor: the previous page's last (priority rank, created_at, id)."""
    try:
        rank, at, id = (value or "").split("~")
        return int(rank), datetime.fromisoformat(at), uuid.UUID(id)
    except ValueError:
        return None


def item_after(ids: list[uuid.UUID], position: int | None, current: uuid.UUID) -> uuid.UUID | None:
    if position is not None:
        return ids[position + 1] if position + 1 < len(ids) else None
    return next((i for i in ids if i != current), None)


def submission_id_of(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["id"])
    except ValueError:
        raise NotFound(f"no submission {request.path_params['id']!r}") from None
