"""Operators' pages (admin): placeholder until the operations pages land."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workers.console.web import page, require_admin


@dataclass
class Operations:
    session_factory: sessionmaker[Session]
    stall_seconds: float

    async def placeholder(self, request: Request) -> Response:
        require_admin(request)
        return page(request, "message.html", title="Operations", message="coming", back="/")

    def routes(self) -> list[Route]:
        return [Route("/ops{rest:path}", self.placeholder, methods=["GET"])]
