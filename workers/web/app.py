"""The Starlette app of `vstep-grading serve`: each route parses, calls one thing, answers.

``POST /v1/callbacks`` checks, in this order and before parsing anything: the declared
size (413), the signature header and its timestamp (401), the body read within the
limit (413), the HMAC of the raw bytes (401); then the JSON (422 ``body``), and hands it
to the one result path in a worker thread. Errors become statuses in ``errors.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.errors import VstepGradingError
from workers.metrics import processes_registry
from workers.results import CallbackService
from workers.web.body import CALLBACK_MAX_BYTES, parse_json, read_limited, refuse_declared_oversize
from workers.web.errors import error_response
from workers.web.signature import SIGNATURE_HEADER, parse_signature, verify_signature

# Longest a readiness check (database, broker) may take before it counts as failed, seconds.
READY_TIMEOUT_SECONDS = 3.0
# Threads readiness checks may hold at once: a check that hangs past its timeout keeps its
# thread, and must not take the threads callbacks run in.
READY_THREADS = 4


@dataclass(frozen=True)
class HttpDoor:
    """What the routes use, built from settings by ``workers/assembly.py``."""

    callbacks: CallbackService
    secret: bytes
    # Name -> a round trip that raises while that dependency is away.
    readiness: Mapping[str, Callable[[], None]]
    metrics: Collector
    openapi: Mapping[str, Any]


def make_app(door: HttpDoor) -> Starlette:
    database_registry = CollectorRegistry(auto_describe=True)
    database_registry.register(door.metrics)
    counters = processes_registry()
    ready_threads = anyio.CapacityLimiter(READY_THREADS)

    async def callback(request: Request) -> Response:
        refuse_declared_oversize(request, CALLBACK_MAX_BYTES)
        signature = parse_signature(request.headers.get(SIGNATURE_HEADER), now=time.time())
        raw = await read_limited(request, CALLBACK_MAX_BYTES)
        verify_signature(signature, secret=door.secret, body=raw)
        body = parse_json(raw)
        verdict = await run_in_threadpool(door.callbacks.apply, body, via="http")
        return JSONResponse({"status": verdict.value})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}

        async def run(name: str, check: Callable[[], None]) -> None:
            checks[name] = await _answer_of(check, ready_threads)

        async with anyio.create_task_group() as group:
            for name, check in door.readiness.items():
                group.start_soon(run, name, check)
        failed = sorted(name for name, answer in checks.items() if answer != "ok")
        if failed:
            return JSONResponse(
                {"status": "unavailable", "failed": failed, "checks": checks}, status_code=503
            )
        return JSONResponse({"status": "ready", "checks": checks})

    async def metrics(request: Request) -> Response:
        def render() -> bytes:
            # The processes' counters (every process's on this host when they share
            # PROMETHEUS_MULTIPROC_DIR), then the system's state, read from the database.
            return generate_latest(counters) + generate_latest(database_registry)

        return Response(await run_in_threadpool(render), media_type=CONTENT_TYPE_LATEST)

    async def openapi(request: Request) -> Response:
        return JSONResponse(door.openapi)

    return Starlette(
        routes=[
            Route("/v1/callbacks", callback, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={VstepGradingError: error_response, Exception: error_response},
    )


async def _answer_of(check: Callable[[], None], limiter: anyio.CapacityLimiter) -> str:
    """ "ok", or why the check failed: the error's class, or the time it did not answer in."""
    try:
        with anyio.fail_after(READY_TIMEOUT_SECONDS):
            await anyio.to_thread.run_sync(check, abandon_on_cancel=True, limiter=limiter)
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_SECONDS:g} s"
    except VstepGradingError as exc:
        return type(exc).__name__
    return "ok"
