"""Operators' pages (admin): the overview, submissions and their timelines, exams, audit.

The overview's numbers are read at most every OVERVIEW_SECONDS and shown with their
age; lists are keyset pages. Changes (retries, purges) are in ``retry_pages.py``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db.console_audit import AuditRow, audit_page
from db.console_lists import (
    SubmissionLine,
    SubmissionSearch,
    exam_parts_of,
    exam_sessions_page,
    outbox_rows_of,
    score_rows_of,
    submissions_page,
)
from db.console_ops import overview_counts
from db.console_review import answer_of
from db.outbox_ops import outbox_stats
from db.submission_queries import submission_get
from db.supervision import submissions_stalled
from domain.enums import Skill, SubmissionStatus
from domain.errors import InvalidInput, NotFound
from workers.console.web import cursor_of, in_thread, page, parse_cursor, require_admin

# The overview is read again at most this often, in seconds.
OVERVIEW_SECONDS = 10.0
# Rows per list page.
PAGE_ROWS = 50
# Stuck submissions counted at most (the overview says "100+" past it).
STUCK_SHOWN = 100


@dataclass
class Operations:
    session_factory: sessionmaker[Session]
    stall_seconds: float
    _overview: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)

    # --- overview -----------------------------------------------------------------------

    def overview_data(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._overview is None or now - self._overview[0] > OVERVIEW_SECONDS:
            with self.session_factory.begin() as session:
                counts = overview_counts(session)
                outbox = outbox_stats(session)
                stuck = submissions_stalled(
                    session, stall_seconds=self.stall_seconds, limit=STUCK_SHOWN + 1, lock=False
                )
            self._overview = (now, {"counts": counts, "outbox": outbox, "stuck": stuck})
        return {**self._overview[1], "age": now - self._overview[0]}

    @staticmethod
    def live_numbers(data: dict[str, Any]) -> dict[str, str]:
        """The overview's numbers by the names its page marks with data-live."""
        counts, outbox = data["counts"], data["outbox"]
        numbers = {
            f"status_{s.value}": str(counts.by_status.get(s.value, 0)) for s in SubmissionStatus
        }
        numbers.update(
            backlog=str(sum(b["count"] for b in counts.backlog)),
            outbox_pending=str(outbox.counts.get("pending", 0)),
            outbox_failed=str(outbox.counts.get("failed", 0)),
            outbox_oldest=_seconds(outbox.oldest_pending_age_seconds),
            completed_hour=str(counts.completed_last_hour),
            latency_p50=_seconds(counts.latency_p50_seconds),
            latency_p95=_seconds(counts.latency_p95_seconds),
            stuck=_stuck(len(data["stuck"])),
            age=f"{data['age']:.0f} s",
        )
        return numbers

    async def overview(self, request: Request) -> Response:
        require_admin(request)
        data = await in_thread(self.overview_data)
        return page(request, "ops_overview.html", live=self.live_numbers(data), **data)

    async def overview_json(self, request: Request) -> Response:
        require_admin(request)
        data = await in_thread(self.overview_data)
        return JSONResponse(self.live_numbers(data))

    # --- submissions --------------------------------------------------------------------

    async def submissions(self, request: Request) -> Response:
        require_admin(request)
        query = request.query_params
        search = _search_of(query)
        before = parse_cursor(query.get("before"))

        def read() -> list[SubmissionLine]:
            with self.session_factory.begin() as session:
                return submissions_page(session, search=search, before=before, limit=PAGE_ROWS)

        rows = await in_thread(read)
        kept = {k: v for k, v in query.items() if k != "before" and v}
        following = _following([(r.created_at, r.id) for r in rows], kept)
        return page(
            request, "ops_submissions.html", rows=rows, form=dict(query), next_query=following
        )

    async def submission(self, request: Request) -> Response:
        require_admin(request)
        id = _uuid("submission id", request.path_params["id"])

        def read() -> dict[str, Any]:
            with self.session_factory.begin() as session:
                record = submission_get(session, id=id)
                if record is None:
                    raise NotFound(f"no submission {id}")
                return {
                    "record": record,
                    "s": record.submission,
                    "answer": answer_of(session, submission_id=id),
                    "outbox": outbox_rows_of(session, submission_id=id),
                    "scores": score_rows_of(session, submission_id=id),
                }

        return page(request, "ops_submission.html", **(await in_thread(read)))

    # --- exams and audit -----------------------------------------------------------------

    async def exams(self, request: Request) -> Response:
        require_admin(request)
        before = parse_cursor(request.query_params.get("before"))

        def read() -> list[dict[str, Any]]:
            with self.session_factory.begin() as session:
                rows = exam_sessions_page(session, before=before, limit=PAGE_ROWS)
                parts = exam_parts_of(session, session_ids=[row.id for row in rows])
                return [{"exam": row, "email": row.email, "parts": parts[row.id]} for row in rows]

        rows = await in_thread(read)
        following = _following([(r["exam"].started_at, r["exam"].id) for r in rows], {})
        return page(request, "ops_exams.html", rows=rows, next_query=following)

    async def audit(self, request: Request) -> Response:
        require_admin(request)
        before = parse_cursor(request.query_params.get("before"))
        action = request.query_params.get("action") or None

        def read() -> list[AuditRow]:
            with self.session_factory.begin() as session:
                return audit_page(session, before=before, action=action, limit=PAGE_ROWS)

        rows = await in_thread(read)
        following = _following([(r.created_at, r.id) for r in rows], {"action": action or ""})
        return page(request, "ops_audit.html", rows=rows, action=action, next_query=following)

    def routes(self) -> list[Route]:
        return [
            Route("/ops", self.overview, methods=["GET"]),
            Route("/ops/overview.json", self.overview_json, methods=["GET"]),
            Route("/ops/submissions", self.submissions, methods=["GET"]),
            Route("/ops/submissions/{id}", self.submission, methods=["GET"]),
            Route("/ops/exams", self.exams, methods=["GET"]),
            Route("/ops/audit", self.audit, methods=["GET"]),
        ]


def _following(keys: list[tuple[datetime, uuid.UUID]], kept: dict[str, str]) -> str | None:
    """The query of the page after a full one: its filters and the last row's sort key."""
    if len(keys) < PAGE_ROWS:
        return None
    return urlencode({**kept, "before": cursor_of(*keys[-1])})


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.0f} min"


def _stuck(count: int) -> str:
    return f"{STUCK_SHOWN}+" if count > STUCK_SHOWN else str(count)


def _uuid(what: str, text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise InvalidInput(what, f"{text!r} is not a UUID") from None


def _date(what: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(what, f"{text!r} is not a date (YYYY-MM-DD)") from None
    return value if value.tzinfo else value.astimezone()


def _search_of(query: Any) -> SubmissionSearch:
    def get(name: str) -> str | None:
        value = str(query.get(name) or "").strip()
        return value or None

    status, skill = get("status"), get("skill")
    if status is not None and status not in set(SubmissionStatus):
        raise InvalidInput("status", f"{status!r} is not a submission status")
    if skill is not None and skill not in set(Skill):
        raise InvalidInput("skill", f"{skill!r} is not a skill")
    text = get("id")
    return SubmissionSearch(
        id=_uuid("submission id", text) if text else None,
        request_id=_uuid("request id", r) if (r := get("request_id")) else None,
        email=get("email"),
        status=SubmissionStatus(status) if status else None,
        skill=Skill(skill) if skill else None,
        question_id=_uuid("question id", q) if (q := get("question_id")) else None,
        since=_date("from", f) if (f := get("from")) else None,
        until=_date("to", t) if (t := get("to")) else None,
    )
