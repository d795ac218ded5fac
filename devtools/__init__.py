"""Development tools: `make run`'s demo and live view, and the embedded servers.

Nothing here runs in production. Production code (``workers/``, ``db/``) never imports
this package: ``devtools/cli.py`` adds ``vstep-grading dev`` through an entry point
(``pyproject.toml``), so a deployment without this package or the ``embedded`` extra
runs every other command.
"""
