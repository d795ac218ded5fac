"""Run the Alembic migrations programmatically against a DATABASE_URL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL

import migrations
from db.session import make_engine
from db.urls import safe_url
from domain.errors import DatabaseError, DatabaseUnavailable, InvalidInput, VstepGradingError

MIGRATIONS_DIR = Path(migrations.__file__).parent
# The revision that creates the schema shared with other services (docs/data-model.md).
SHARED_SCHEMA_REVISION = "0001_shared_schema"


def alembic_config(url: URL) -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would mangle a '%' in a password.
    config.set_main_option(
        "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def check_reachable(url: URL) -> None:
    """Fail with one line naming the (masked) URL when the server does not answer."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except DatabaseUnavailable as exc:
        raise DatabaseUnavailable(f"database {safe_url(url)} is not reachable: {exc}") from exc
    finally:
        engine.dispose()


class ForeignObjects(VstepGradingError):
    """The database holds tables these migrations did not make and no alembic_version:
    migrating over them would fail halfway or mix our schema into someone else's."""


# Tables, views and types outside PostgreSQL's own schemas that no extension owns.
_FOREIGN_OBJECTS = sa.text(
    r"""
    SELECT kind || ' ' || name AS object FROM (
        SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                              WHEN 'f' THEN 'foreign table' ELSE 'table' END AS kind,
               format('%I.%I', n.nspname, c.relname) AS name, c.oid,
               'pg_class'::regclass AS catalog, n.nspname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
        UNION ALL
        SELECT 'type', format('%I.%I', n.nspname, t.typname), t.oid,
               'pg_type'::regclass, n.nspname
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd')
    ) objects
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
      AND NOT EXISTS (
          SELECT 1 FROM pg_depend d
          WHERE d.classid = objects.catalog AND d.objid = objects.oid AND d.deptype = 'e'
      )
    ORDER BY object
    """
)
# How many foreign objects an error line names before it says "and N more".
_NAMED_OBJECTS = 5


def check_not_foreign(url: URL) -> None:
    """ForeignObjects when the database was never migrated by us yet holds tables or types."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar():
                return
            found = list(conn.execute(_FOREIGN_OBJECTS).scalars())
    finally:
        engine.dispose()
    if found:
        named = ", ".join(found[:_NAMED_OBJECTS])
        more = f" and {len(found) - _NAMED_OBJECTS} more" if len(found) > _NAMED_OBJECTS else ""
        raise ForeignObjects(
            f"database {safe_url(url)} holds objects these migrations did not make "
            f"({named}{more}) and no alembic_version table; refusing to migrate it "
            "(use an empty database)"
        )


def upgrade(url: URL, revision: str = "head") -> None:
    """Migrate up in one transaction: on any error nothing is left half-created."""
    check_reachable(url)
    check_not_foreign(url)
    try:
        with _alembic_errors():
            command.upgrade(alembic_config(url), revision)
    except DatabaseError as exc:
        raise DatabaseError(
            f"database {safe_url(url)}: upgrade to {revision} failed and was rolled back: {exc}",
            sqlstate=exc.sqlstate,
        ) from exc


def downgrade(url: URL, revision: str) -> None:
    check_reachable(url)
    with _alembic_errors():
        command.downgrade(alembic_config(url), revision)


@contextmanager
def _alembic_errors() -> Iterator[None]:
    """Alembic's own refusals (an unknown revision, several heads) as our one-line error."""
    try:
        yield
    except CommandError as exc:
        # Alembic wraps "no such revision" (a RevisionError) in a CommandError: the person
        # typed a wrong REVISION, which is a usage error, unlike a failed migration.
        if isinstance(exc.__cause__, RevisionError):
            raise InvalidInput("REVISION", str(exc)) from None
        raise VstepGradingError(f"migration: {exc}") from exc


def current_revision(url: URL) -> str | None:
    check_reachable(url)
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def downgrade_steps(url: URL, revision: str) -> list[str]:
    """The revisions a downgrade to ``revision`` would undo, newest first (none: no-op)."""
    current = current_revision(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    # The walk command.downgrade itself takes, so "-1", "base" and partial ids mean here
    # what they will mean there.
    try:
        scripts = script.iterate_revisions(current, revision, select_for_downgrade=True)
        return [step.revision for step in scripts]
    except RevisionError as exc:
        raise InvalidInput("REVISION", f"{exc} (the database is at {current or 'base'})") from None
