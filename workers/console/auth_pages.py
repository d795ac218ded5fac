"""Sign-in and sign-out with the platform's own accounts.

Every refusal (unknown email, wrong password, a learner, a deleted user) gets the same
answer after the same work: the password is always checked against a hash, a dummy
one when no account matches. A successful sign-in rewrites a hash whose parameters are
older than ours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db.console_audit import Actor, audit_append
from db.staff import STAFF_ROLES, Account, account_by_email, password_hash_replace
from workers.console import cookies
from workers.console.passwords import hash_password, needs_rehash, verify_password
from workers.console.throttle import SignInThrottle
from workers.console.web import (
    clear_session_cookie,
    client_address,
    in_thread,
    page,
    redirect,
    safe_next,
    set_session_cookie,
)

REFUSED = "Wrong email or password, or this account may not use the console."


@dataclass(frozen=True)
class SignIn:
    session_factory: sessionmaker[Session]
    throttle: SignInThrottle
    key: bytes

    def check(self, email: str, password: str, address: str) -> Account | None:
        """The staff account these credentials open, or None (after the same work)."""
        with self.session_factory.begin() as session:
            account = account_by_email(session, email=email)
        ok = verify_password(account.password_hash if account else None, password)
        if not ok or account is None or account.role not in STAFF_ROLES:
            return None
        if needs_rehash(account.password_hash):
            with self.session_factory.begin() as session:
                if password_hash_replace(
                    session, id=account.id, old=account.password_hash, new=hash_password(password)
                ):
                    audit_append(
                        session,
                        actor=Actor(account.id, account.email, address),
                        action="staff.rehash",
                        target={"userIds": [str(account.id)]},
                        outcome="done",
                        detail={"previous": account.password_hash.rsplit("$", 2)[0]},
                    )
        return account

    async def form(self, request: Request) -> Response:
        return page(request, "sign_in.html", next=safe_next(request.query_params.get("next")))

    async def submit(self, request: Request) -> Response:
        form = await request.form()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        wanted = safe_next(str(form.get("next", "")))
        address = client_address(request)
        wait = self.throttle.wait_seconds(email=email, address=address, now=time.time())
        if wait > 0:
            minutes = max(1, round(wait / 60))
            return page(
                request,
                "sign_in.html",
                status_code=429,
                next=wanted,
                email=email,
                error=f"Too many failed sign-ins. Try again in {minutes} min.",
            )
        account = await in_thread(self.check, email, password, address)
        if account is None:
            self.throttle.failed(email=email, address=address, now=time.time())
            return page(
                request, "sign_in.html", status_code=401, next=wanted, email=email, error=REFUSED
            )
        self.throttle.succeeded(email=email)
        if wanted == "/":
            wanted = "/ops" if account.role.value == "admin" else "/review"
        response = redirect(wanted)
        now = time.time()
        set_session_cookie(
            request, response, cookies.SessionCookie(account.id, now, now), key=self.key
        )
        return response

    async def sign_out(self, request: Request) -> Response:
        response = redirect("/sign-in")
        clear_session_cookie(response)
        return response

    def routes(self) -> list[Route]:
        return [
            Route("/sign-in", self.form, methods=["GET"]),
            Route("/sign-in", self.submit, methods=["POST"]),
            Route("/sign-out", self.sign_out, methods=["POST"]),
        ]
