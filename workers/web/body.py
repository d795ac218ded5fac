"""Request bodies read within a limit: a declared length over it is refused unread, and a
chunked body stops being read the moment it passes it."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from domain.errors import InvalidInput
from workers.web.errors import BodyTooLarge

# Largest callback body taken, in bytes (docs/grading-pipeline.md#how-callbacks-arrive).
CALLBACK_MAX_BYTES = 1024 * 1024


def refuse_declared_oversize(request: Request, limit: int) -> None:
    """BodyTooLarge when Content-Length already says too much; nothing is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body of {declared} bytes; at most {limit} are taken")


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body; BodyTooLarge as soon as more than ``limit`` bytes have arrived."""
    refuse_declared_oversize(request, limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise BodyTooLarge(f"body over {limit} bytes")
    return bytes(received)


def parse_json(raw: bytes) -> Any:
    """The body as JSON; InvalidInput naming ``body`` when it is not (422)."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput("body", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput("body", f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise InvalidInput("body", "JSON nested too deeply") from None
