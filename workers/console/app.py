"""The console's Starlette app, assembled from what ``workers/assembly.py``-style callers give.

Pages are rendered on the server from Jinja2 templates; the one stylesheet and the one
small script are served from this package (nothing is fetched from elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from domain.enums import Skill
from domain.errors import InfrastructureError, InvalidInput, NotFound, VstepGradingError
from domain.sla import DEFAULT_SLA
from workers.console.auth_pages import SignIn
from workers.console.ops_pages import Operations
from workers.console.retry_pages import Retries
from workers.console.review_claims import ReviewClaims
from workers.console.review_pages import ReviewWorkspace
from workers.console.throttle import SignInThrottle
from workers.console.web import (
    HERE,
    ConsoleGuard,
    Forbidden,
    message,
    redirect,
    safe_next,
    staff_of,
)
from workers.results import CallbackService


@dataclass(frozen=True)
class ConsoleSettings:
    key: bytes
    session_minutes: float = 30.0
    claim_minutes: float = 30.0
    stall_seconds: float = 120.0
    sla: Mapping[Skill, timedelta] = field(default_factory=lambda: dict(DEFAULT_SLA))


def make_console_app(
    session_factory: sessionmaker[Session],
    callbacks: CallbackService,
    settings: ConsoleSettings,
    *,
    throttle: SignInThrottle | None = None,
) -> Starlette:
    sign_in = SignIn(session_factory, throttle or SignInThrottle(), settings.key)
    review = ReviewWorkspace(session_factory, callbacks, settings.claim_minutes)
    claims = ReviewClaims(session_factory, settings.claim_minutes, review.forget_counts)
    operations = Operations(session_factory, stall_seconds=settings.stall_seconds)
    retries = Retries(
        session_factory, settings.stall_seconds, settings.sla, operations.overview_data
    )

    async def home(request: Request) -> Response:
        return redirect("/ops" if staff_of(request).is_admin else "/review")

    routes: Sequence[BaseRoute] = [
        Route("/", home, methods=["GET"]),
        *sign_in.routes(),
        *review.routes(),
        *claims.routes(),
        *operations.routes(),
        *retries.routes(),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(
                ConsoleGuard,
                session_factory=session_factory,
                key=settings.key,
                idle_seconds=settings.session_minutes * 60,
            )
        ],
        exception_handlers={
            Forbidden: _forbidden,
            NotFound: _not_found,
            InvalidInput: _invalid,
            VstepGradingError: _failed,
        },
    )


async def _forbidden(request: Request, exc: Exception) -> Response:
    return message(request, 403, "Not for your role", str(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    return message(request, 404, "Not found", str(exc))


async def _invalid(request: Request, exc: Exception) -> Response:
    back = safe_next(urlsplit(request.headers.get("referer") or "/").path)
    return message(request, 422, "Not accepted", str(exc), back)


async def _failed(request: Request, exc: Exception) -> Response:
    status = 503 if isinstance(exc, InfrastructureError) else 500
    return message(request, status, "Could not do that", str(exc))
