"""A real HTTP server on a free local port standing in for the external AI grader.

It answers each request with the next scripted response (status, headers) and keeps the
JSON bodies it received, so a test can check the documented request and count retries.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class GraderStandIn:
    script: list[tuple[int, dict[str, str]]]
    # What every request after the script gets.
    then: tuple[int, dict[str, str]] = (202, {})
    received: list[dict[str, Any]] = field(default_factory=list)
    # time.monotonic() of each request, for checking that retries waited.
    received_at: list[float] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called in a thread of its own with each request once answered (a grader that calls back).
    on_request: Callable[[dict[str, Any]], None] | None = None

    def next_answer(self, body: dict[str, Any]) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.received.append(body)
            self.received_at.append(time.monotonic())
            return self.script.pop(0) if self.script else self.then


@contextlib.contextmanager
def grader_standin(
    *script: tuple[int, dict[str, str]],
    on_request: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[GraderStandIn]:
    grader = GraderStandIn(list(script), on_request=on_request)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, headers = grader.next_answer(body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            payload = json.dumps({"accepted": status < 300}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            if grader.on_request is not None and status < 300:
                threading.Thread(target=grader.on_request, args=(body,), daemon=True).start()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test reads grader.received, not an access log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    grader.url = f"http://127.0.0.1:{server.server_address[1]}/grade"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield grader
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
