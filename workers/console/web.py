"""What every console page shares: who is signed in, the role check, templates, answers.

The guard (``ConsoleGuard``) runs before any route: a change (any method but GET/HEAD)
that the browser says another site sent is refused before anything is read or written;
then the session cookie is read and the account loaded again from ``users``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from db.console_audit import Actor
from db.staff import Account, staff_account
from domain.enums import UserRole
from workers.console import cookies

T = TypeVar("T")
HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
# Pages anyone may load: the sign-in form and the static files.
PUBLIC_PATHS = ("/sign-in", "/static/")
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Sec-Fetch-Site values of a request this console's own pages (or the address bar) sent.
OWN_SITE = frozenset({"same-origin", "none"})


@dataclass(frozen=True)
class Staff:
    id: uuid.UUID
    email: str
    role: UserRole

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN


class Forbidden(Exception):
    """The signed-in person's role may not do this (403)."""


def staff_of(request: Request) -> Staff:
    staff = getattr(request.state, "staff", None)
    if not isinstance(staff, Staff):
        raise Forbidden("not signed in")
    return staff


def require_admin(request: Request) -> Staff:
    staff = staff_of(request)
    if not staff.is_admin:
        raise Forbidden("this page is for operators (admin)")
    return staff


def actor_of(request: Request) -> Actor:
    staff = staff_of(request)
    return Actor(staff.id, staff.email, client_address(request))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(fn, *args, **kwargs)


def cross_site(request: Request) -> bool:
    """True when the browser says another site sent this request.

    Sec-Fetch-Site is what current browsers send on every request; Origin is the
    fallback. A request with neither did not come from a browser page (a script of the
    operator's own), and another site cannot make a browser send one that way.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in OWN_SITE
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin == "null" or origin.rstrip("/") != own


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    staff = getattr(request.state, "staff", None)
    return TEMPLATES.TemplateResponse(
        request, template, {"staff": staff, **context}, status_code=status_code
    )


def message(request: Request, status_code: int, title: str, text: str, back: str = "/") -> Response:
    """The one-message page: a refusal, an error or what a change did."""
    return page(
        request, "message.html", status_code=status_code, title=title, message=text, back=back
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this console: an open redirect would hand the sign-in to anyone."""
    if not target:
        return "/"
    parts = urlsplit(target)
    # A backslash counts as a slash in browsers: "/\\host" would leave the console.
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"
    return target


# Every answer: only this console's own files, never inside another site's frame.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src *; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class ConsoleGuard(BaseHTTPMiddleware):
    def __init__(
        self,
        app: Any,
        *,
        session_factory: sessionmaker[Session],
        key: bytes,
        idle_seconds: float,
    ) -> None:
        super().__init__(app)
        self.session_factory = session_factory
        self.key = key
        self.idle_seconds = idle_seconds

    def _load(self, user_id: uuid.UUID) -> Account | None:
        with self.session_factory.begin() as session:
            return staff_account(session, id=user_id)

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await self._guarded(request, call_next)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def _guarded(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method not in SAFE_METHODS and cross_site(request):
            return Response("refused: this change was sent from another site", status_code=403)
        path = request.url.path
        if path.startswith(PUBLIC_PATHS):
            return await call_next(request)
        now = time.time()
        cookie = cookies.decode(
            request.cookies.get(cookies.COOKIE_NAME),
            key=self.key,
            now=now,
            idle_seconds=self.idle_seconds,
        )
        account = await in_thread(self._load, cookie.user_id) if cookie else None
        if cookie is None or account is None:
            if request.method in SAFE_METHODS:
                wanted = path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/sign-in?next={quote(wanted)}")
            return Response("refused: sign in first", status_code=403)
        request.state.staff = Staff(account.id, account.email, account.role)
        response = await call_next(request)
        # Re-signed now and then, well within the idle window, so use keeps it open;
        # never over a session cookie the page itself set or cleared (sign-out).
        due = now - cookie.seen >= min(cookies.REFRESH_SECONDS, self.idle_seconds / 4)
        if due and not _sets_session_cookie(response):
            set_session_cookie(
                request,
                response,
                cookies.SessionCookie(cookie.user_id, cookie.started, now),
                key=self.key,
            )
        return response


def set_session_cookie(
    request: Request, response: Response, cookie: cookies.SessionCookie, *, key: bytes
) -> None:
    response.set_cookie(
        cookies.COOKIE_NAME,
        cookies.encode(cookie, key=key),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _sets_session_cookie(response: Response) -> bool:
    prefix = f"{cookies.COOKIE_NAME}="
    return any(value.startswith(prefix) for value in response.headers.getlist("set-cookie"))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(cookies.COOKIE_NAME, path="/", httponly=True, samesite="strict")


# --- template filters -----------------------------------------------------------------


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def _score(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{Decimal(str(value)):.1f}"


TEMPLATES.env.filters.update(age=_age, when=_when, pretty=_pretty, score=_score)
TEMPLATES.env.globals["short"] = lambda value: str(value)[:8]

Handler = Callable[[Request], Awaitable[Response]]


# --- keyset cursors ---------------------------------------------------------------------


def cursor_of(at: datetime, id: uuid.UUID) -> str:
    """The next page's ``before``: the last row's sort key."""
    return f"{at.isoformat()}~{id}"


def parse_cursor(value: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not value or "~" not in value:
        return None
    at, _, id = value.partition("~")
    try:
        return datetime.fromisoformat(at), uuid.UUID(id)
    except ValueError:
        return None
