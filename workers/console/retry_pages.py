"""Operators' changes (admin): retries of failed and stuck submissions, outbox retries
and purges. Each one is two POSTs: a preview of exactly which rows will change (the same
code run as a dry run, or a count), then the change of exactly those rows, through the
code of ``submission retry`` / ``outbox retry`` / ``outbox purge``, with its audit row in
the same transaction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db.console_audit import Actor, audit_append
from db.console_lists import OutboxLine, outbox_failed_page, outbox_rows
from db.console_ops import GROUP_IDS_MAX, failed_group_ids, failed_groups, outbox_purge_preview
from db.outbox_ops import outbox_purge_published, outbox_retry
from db.submission_retry import submission_retry
from db.supervision import submissions_stalled
from domain.enums import Skill
from domain.errors import InvalidInput
from workers.console.web import (
    actor_of,
    cursor_of,
    in_thread,
    message,
    page,
    parse_cursor,
    require_admin,
)

# The failed groups and stuck list are read again at most this often, in seconds.
FIGURES_SECONDS = 10.0
# Stuck submissions listed at most.
STUCK_ROWS = 100
PAGE_ROWS = 50


@dataclass
class Retries:
    session_factory: sessionmaker[Session]
    stall_seconds: float
    sla: Mapping[Skill, timedelta]
    # The overview's cached figures (the outbox page shows its outbox health from there).
    overview: Callable[[], dict[str, Any]]
    _figures: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)

    # --- failed and stuck submissions ---------------------------------------------------

    async def failed(self, request: Request) -> Response:
        require_admin(request)
        figures, age = await in_thread(self._failed_figures)
        return page(request, "ops_failed.html", ids_max=GROUP_IDS_MAX, age=age, **figures)

    def _failed_figures(self) -> tuple[dict[str, Any], float]:
        """The groups and the stuck list, read at most every FIGURES_SECONDS; their age."""
        now = time.monotonic()
        if self._figures is None or now - self._figures[0] > FIGURES_SECONDS:
            with self.session_factory.begin() as session:
                figures = {
                    "groups": failed_groups(session),
                    "stuck": submissions_stalled(
                        session, stall_seconds=self.stall_seconds, limit=STUCK_ROWS, lock=False
                    ),
                }
            self._figures = (now, figures)
        return self._figures[1], now - self._figures[0]

    def _dry_run(self, ids: list[uuid.UUID]) -> Any:
        with self.session_factory.begin() as session:
            return submission_retry(
                session, ids=ids, stall_seconds=self.stall_seconds, by="preview", dry_run=True
            )

    async def failed_preview(self, request: Request) -> Response:
        require_admin(request)
        form = await request.form()
        group = form.get("group")

        def ids_of() -> list[uuid.UUID]:
            if group is not None:
                with self.session_factory.begin() as session:
                    error = str(form.get("error")) if form.get("has_error") else None
                    return failed_group_ids(session, reason=str(group), error=error)
            return _ids(form.getlist("id"))

        ids = await in_thread(ids_of)
        if not ids:
            raise InvalidInput("selection", "choose at least one submission")
        outcome = await in_thread(self._dry_run, ids)
        return page(request, "ops_retry_preview.html", outcome=outcome, group=group)

    async def failed_retry(self, request: Request) -> Response:
        actor = actor_of(request)
        require_admin(request)
        form = await request.form()
        ids = _ids(form.getlist("id"))
        if not ids:
            raise InvalidInput("selection", "nothing to retry")
        note = str(form.get("note") or "").strip() or None
        outcome = await in_thread(self._retry, actor, ids, note)
        return page(
            request,
            "ops_done.html",
            title="Submissions retried",
            outcome=outcome,
            retried=[str(r.id) for r in outcome.retried],
            back="/ops/failed",
        )

    def _retry(self, actor: Actor, ids: list[uuid.UUID], note: str | None) -> Any:
        self._figures = None  # the operator sees the effect of their retry at once
        with self.session_factory.begin() as session:
            outcome = submission_retry(
                session,
                ids=ids,
                stall_seconds=self.stall_seconds,
                by=actor.email,
                note=note,
                sla=self.sla,
            )
            retried = [str(r.id) for r in outcome.retried]
            _audit_retry(
                session,
                actor,
                "submission.retry",
                "submissionIds",
                ids,
                retried,
                outcome,
                {"note": note},
            )
        return outcome

    # --- outbox ---------------------------------------------------------------------------

    async def outbox(self, request: Request) -> Response:
        require_admin(request)
        before = parse_cursor(request.query_params.get("before"))

        def read() -> dict[str, Any]:
            figures = self.overview()
            with self.session_factory.begin() as session:
                return {
                    "rows": outbox_failed_page(session, before=before, limit=PAGE_ROWS),
                    "stats": figures["outbox"],
                    "stats_age": figures["age"],
                }

        data = await in_thread(read)
        rows = data["rows"]
        following = (
            f"before={cursor_of(rows[-1].created_at, rows[-1].id)}"
            if len(rows) == PAGE_ROWS
            else None
        )
        return page(request, "ops_outbox.html", next_query=following, **data)

    async def outbox_preview(self, request: Request) -> Response:
        require_admin(request)
        ids = _ids((await request.form()).getlist("id"))
        if not ids:
            raise InvalidInput("selection", "choose at least one outbox row")

        def read() -> list[OutboxLine]:
            with self.session_factory.begin() as session:
                return outbox_rows(session, ids=ids)

        return page(request, "ops_outbox_preview.html", rows=await in_thread(read))

    async def outbox_retry(self, request: Request) -> Response:
        actor = actor_of(request)
        require_admin(request)
        ids = _ids((await request.form()).getlist("id"))
        if not ids:
            raise InvalidInput("selection", "nothing to retry")

        def run() -> Any:
            with self.session_factory.begin() as session:
                outcome = outbox_retry(session, ids=ids, by=actor.email, sla=self.sla)
                retried = [str(i) for i in outcome.retried]
                _audit_retry(session, actor, "outbox.retry", "outboxIds", ids, retried, outcome)
            return outcome

        outcome = await in_thread(run)
        return page(
            request,
            "ops_done.html",
            title="Outbox rows retried",
            outcome=outcome,
            retried=[str(i) for i in outcome.retried],
            back="/ops/outbox",
        )

    async def purge_preview(self, request: Request) -> Response:
        require_admin(request)
        days = _days((await request.form()).get("days"))

        def read() -> tuple[int, Any]:
            with self.session_factory.begin() as session:
                return outbox_purge_preview(session, older_than=timedelta(days=days))

        count, oldest = await in_thread(read)
        return page(request, "ops_purge_preview.html", days=days, count=count, oldest=oldest)

    async def purge(self, request: Request) -> Response:
        actor = actor_of(request)
        require_admin(request)
        form = await request.form()
        days = _days(form.get("days"))
        shown = int(str(form.get("count") or 0))

        def run() -> int:
            with self.session_factory.begin() as session:
                deleted = outbox_purge_published(session, older_than=timedelta(days=days))
                audit_append(
                    session,
                    actor=actor,
                    action="outbox.purge",
                    target={"publishedOlderThanDays": days},
                    preview={"count": shown},
                    outcome="done",
                    detail={"deleted": deleted},
                )
            return deleted

        deleted = await in_thread(run)
        text = (
            f"{deleted} published rows older than {days:g} days deleted "
            f"(the preview showed {shown})."
        )
        return message(request, 200, "Outbox purged", text, "/ops/outbox")

    def routes(self) -> list[Route]:
        return [
            Route("/ops/failed", self.failed, methods=["GET"]),
            Route("/ops/failed/preview", self.failed_preview, methods=["POST"]),
            Route("/ops/failed/retry", self.failed_retry, methods=["POST"]),
            Route("/ops/outbox", self.outbox, methods=["GET"]),
            Route("/ops/outbox/preview", self.outbox_preview, methods=["POST"]),
            Route("/ops/outbox/retry", self.outbox_retry, methods=["POST"]),
            Route("/ops/outbox/purge-preview", self.purge_preview, methods=["POST"]),
            Route("/ops/outbox/purge", self.purge, methods=["POST"]),
        ]


def _audit_retry(
    session: Session,
    actor: Actor,
    action: str,
    key: str,
    ids: list[uuid.UUID],
    retried: list[str],
    outcome: Any,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """A retry's audit row: the rows chosen, those retried, those skipped and why."""
    detail = {
        "retried": retried,
        "skipped": {str(s.id): s.reason for s in outcome.skipped},
        **(extra or {}),
    }
    audit_append(
        session,
        actor=actor,
        action=action,
        target={key: [str(i) for i in ids]},
        preview={"willRetry": [str(i) for i in ids]},
        outcome="done" if not outcome.skipped else "partial",
        detail=detail,
    )


def _ids(values: list[Any]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            raise InvalidInput("id", f"{value!r} is not a UUID") from None
    return list(dict.fromkeys(ids))


def _days(value: Any) -> float:
    try:
        days = float(str(value))
    except ValueError:
        raise InvalidInput("days", f"{value!r} is not a number of days") from None
    if days < 1:
        raise InvalidInput("days", "must be at least 1")
    return days
