"""Development tools: `make run`'s demo and live view, and the embedded servers.

Nothing here runs in production. Production code (``workers/``, ``db/``) never imports
this package at module level; only ``vstep-grading dev`` does, inside the command, so a
deployment without the ``embedded`` extra runs every other command.
"""
