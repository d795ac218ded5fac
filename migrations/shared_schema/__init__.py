"""The body of revision 0001_shared_schema: the schema shared with other services
(docs/data-model.md). ``enums`` makes the types; each other module is a table family,
a ``Family``: its tables, made by ``create_tables()``, and their indexes.

Frozen with that revision: what these modules create is the contract other services read
and write, so a change to it is a new revision, never an edit here (an edit would change
0001 under every database already past it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from migrations.shared_schema.indexes import Index


class Family(Protocol):
    @property
    def TABLES(self) -> Sequence[str]:
        """In the order create_tables() makes them (a table's foreign keys point back)."""

    @property
    def INDEXES(self) -> Sequence[Index]: ...

    def create_tables(self) -> None: ...
