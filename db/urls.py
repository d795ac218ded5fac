"""Database URLs: accept postgresql:// and postgresql+psycopg://, never print a password."""

from __future__ import annotations

import re

import psycopg
import sqlalchemy as sa
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from domain.errors import InvalidInput

ACCEPTED_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")
# TCP ports a server can listen on.
PORT_RANGE = range(1, 65536)


def parse_database_url(raw: str) -> URL:
    """The SQLAlchemy URL (psycopg 3 driver) of a DATABASE_URL value.

    Everything wrong with the URL itself is an InvalidInput naming DATABASE_URL here,
    before any connection: a port that is not a number, an unclosed IPv6 bracket, an
    option libpq does not know.
    """
    try:
        url = sa.make_url(raw)
    except (ArgumentError, ValueError) as exc:
        # SQLAlchemy raises ValueError for a port that is not a number.
        raise InvalidInput(
            "DATABASE_URL", f"not a database URL ({exc}): {hide_password(raw)}"
        ) from None
    if url.drivername not in ACCEPTED_SCHEMES:
        raise InvalidInput(
            "DATABASE_URL",
            f"scheme {url.drivername!r} is not supported, use postgresql:// or "
            f"postgresql+psycopg:// ({hide_password(raw)})",
        )
    if not url.database:
        raise InvalidInput("DATABASE_URL", f"names no database: {hide_password(raw)}")
    if url.port is not None and url.port not in PORT_RANGE:
        raise InvalidInput("DATABASE_URL", f"port {url.port} is out of range: {hide_password(raw)}")
    _check_libpq_accepts(url)
    return url.set(drivername="postgresql+psycopg")


def _check_libpq_accepts(url: URL) -> None:
    """libpq parses the URL as it will connect with it (query options included)."""
    rendered = libpq_url(url)
    try:
        conninfo_to_dict(rendered)
    except psycopg.Error as exc:
        # libpq quotes the URI it refused: show it with the password masked.
        reason = str(exc).strip().splitlines()[0].replace(rendered, safe_url(url))
        raise InvalidInput("DATABASE_URL", f"{reason} ({safe_url(url)})") from None


def libpq_url(url: URL) -> str:
    """The same URL as psql and psycopg.connect() take it (password kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def safe_url(url: URL | str) -> str:
    """The URL with its password masked, for logs and error lines."""
    if isinstance(url, str):
        return hide_password(url)
    rendered = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return _PASSWORD_OPTION.sub(r"\1***", rendered)


def hide_password(raw: str) -> str:
    """``raw`` with its password masked, even when it is not a well-formed URL; a mistyped
    URL is shown as typed otherwise, so its reader can see the typo."""
    try:
        shown = sa.make_url(raw).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        shown = _mask_user_info(raw)
    # A password given as an option (``?password=...``, ``password=...``) too.
    return _PASSWORD_OPTION.sub(r"\1***", shown)


# ``password=`` up to the next option separator, in a query or a key=value string.
_PASSWORD_OPTION = re.compile(r"(?i)(\bpassword\s*=\s*)[^&\s]+")


def _mask_user_info(raw: str) -> str:
    scheme, sep, rest = raw.partition("://")
    # The last '@' ends the user info, whatever a password holds before it.
    userinfo, at, hostpart = (rest if sep else raw).rpartition("@")
    if not at or ":" not in userinfo:
        return raw
    if not sep:
        # No '://': where the scheme ends is unsure, so all after the first ':' is hidden.
        return f"{raw.split(':', 1)[0]}:***@{hostpart}"
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hostpart}"
