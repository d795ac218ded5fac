"""The body of revision 0001_shared_schema: the schema shared with other services
(docs/data-model.md), one module a table family, each with ``create()`` and ``drop()``.

Frozen with that revision: what these modules create is the contract other services read
and write, so a change to it is a new revision, never an edit here (an edit would change
0001 under every database already past it).
"""
