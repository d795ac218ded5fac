"""The console's session cookie: signed (HMAC-SHA256), HttpOnly, SameSite=Strict.

It holds the user's id, when the session began and when it was last used; a session
idle longer than CONSOLE_SESSION_MINUTES is over. The account itself is read again on
every request, so a demoted or deleted user loses the console at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

COOKIE_NAME = "vstep_console"
# Re-signed (a sliding idle window) at most this often, in seconds (a quarter of the
# idle window when that is shorter).
REFRESH_SECONDS = 30


@dataclass(frozen=True)
class SessionCookie:
    user_id: uuid.UUID
    started: float
    seen: float


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(cookie: SessionCookie, *, key: bytes) -> str:
    body = _b64(
        json.dumps(
            {"u": str(cookie.user_id), "s": int(cookie.started), "t": int(cookie.seen)},
            separators=(",", ":"),
        ).encode()
    )
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def decode(
    value: str | None, *, key: bytes, now: float, idle_seconds: float
) -> SessionCookie | None:
    """The session, or None for a missing, forged, malformed or idle one."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        data = json.loads(_unb64(body))
        cookie = SessionCookie(uuid.UUID(data["u"]), float(data["s"]), float(data["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    # Whole seconds are signed: a second of slack for the rounding.
    if now - cookie.seen > idle_seconds + 1 or cookie.seen > now + 60:
        return None
    return cookie
