"""The one table from error classes to HTTP statuses, and the JSON body of every refusal.

A route raises; the handler here answers. Classes are looked up in order, so a subclass
listed before its base wins; anything not in the table is a 500 logged with its traceback.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import (
    InvalidInput,
    NotFound,
    StaleRequest,
    TransientError,
    VstepGradingError,
)
from workers import metrics

log = structlog.get_logger("vstep.http")


class SignatureRejected(VstepGradingError):
    """The request's signature is missing, malformed, stale or wrong."""


class BodyTooLarge(VstepGradingError):
    """The request body is larger than the endpoint takes."""


STATUS_OF_ERROR: tuple[tuple[type[VstepGradingError], int], ...] = (
    (SignatureRejected, 401),
    (NotFound, 404),
    (StaleRequest, 409),
    (BodyTooLarge, 413),
    (InvalidInput, 422),
    # The database or broker is away (InfrastructureError) or a transaction lost a race:
    # the sender tries again later and nothing was applied.
    (TransientError, 503),
)
INTERNAL_ERROR = 500


def status_of(exc: BaseException) -> int:
    for cls, status in STATUS_OF_ERROR:
        if isinstance(exc, cls):
            return status
    return INTERNAL_ERROR


async def error_response(request: Request, exc: Exception) -> Response:
    """``{"error": ...}`` (and ``"field"`` for a 422) with the status of the table."""
    status = status_of(exc)
    path = request.url.path
    metrics.HTTP_REFUSALS.labels(path=path, status=str(status)).inc()
    if status == INTERNAL_ERROR:
        log.error("http_request_failed", path=path, exc_info=exc)
        return JSONResponse({"error": "internal error"}, status_code=status)
    # A sender hears what was wrong with its request; of our own trouble only its kind
    # (the class's docstring), never a host or a driver's message. The log has it all.
    said = str(exc) if status < 500 else (type(exc).__doc__ or "unavailable")
    body = {"error": _one_line(said)}
    if isinstance(exc, InvalidInput):
        body["field"] = exc.field
    log.warning(
        "http_request_refused",
        path=path,
        status=status,
        error=type(exc).__name__,
        reason=_one_line(str(exc)),
        client=request.client.host if request.client else None,
    )
    return JSONResponse(body, status_code=status)


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
