"""The connection the schema checks read the migrated catalogs with."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.migrations.schema_catalog import Conn


@pytest.fixture(scope="module")
def conn(cli_migrated_db_url: str) -> Iterator[Conn]:
    # Read-only checks: one database, built by the real `vstep-grading db upgrade`, serves all.
    with psycopg.connect(cli_migrated_db_url, autocommit=True) as connection:
        yield connection
