"""Database URLs: accept postgresql:// and postgresql+psycopg://, never print a password."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from domain.errors import InvalidInput

ACCEPTED_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")


def parse_database_url(raw: str) -> URL:
    """The SQLAlchemy URL (psycopg 3 driver) of a DATABASE_URL value."""
    try:
        url = sa.make_url(raw)
    except ArgumentError as exc:
        raise InvalidInput("DATABASE_URL", f"not a database URL: {hide_password(raw)}") from exc
    if url.drivername not in ACCEPTED_SCHEMES:
        raise InvalidInput(
            "DATABASE_URL",
            f"scheme {url.drivername!r} is not supported, use postgresql:// or "
            f"postgresql+psycopg:// ({hide_password(raw)})",
        )
    if not url.database:
        raise InvalidInput("DATABASE_URL", f"names no database: {hide_password(raw)}")
    return url.set(drivername="postgresql+psycopg")


def libpq_url(url: URL) -> str:
    """The same URL as psql and psycopg.connect() take it (password kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def safe_url(url: URL | str) -> str:
    """The URL with its password masked, for logs and error lines."""
    if isinstance(url, str):
        return hide_password(url)
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def hide_password(raw: str) -> str:
    try:
        return sa.make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        # Not parseable: still never echo what may be a secret after the scheme.
        scheme, sep, _ = raw.partition("://")
        return f"{scheme}{sep}***" if sep else "***"
