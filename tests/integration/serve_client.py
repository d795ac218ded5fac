"""`vstep-grading serve` as a subprocess on a free port, and a client that signs callbacks."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# Re-exported: the serve tests take their port from here.
from devtools.devenv import free_port as free_port
from tests.integration.system_processes import SystemProcesses
from tests.waiting import wait_until
from workers.web.signature import SIGNATURE_HEADER, sign

SECRET = "serve-test-secret"
START_TIMEOUT_SECONDS = 30.0


@dataclass
class ServeClient:
    processes: SystemProcesses
    port: int
    secret: bytes = SECRET.encode()
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str = "serve", *args: str) -> subprocess.Popen[bytes]:
        process = self.processes.start(name, "serve", "--port", str(self.port), *args)
        wait_until(
            lambda: self._answers() or process.poll() is not None,
            timeout=START_TIMEOUT_SECONDS,
            message="serve did not answer /healthz",
        )
        assert process.poll() is None, self.processes.tail(name)
        return process

    def _answers(self) -> bool:
        try:
            return self.client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def post(
        self,
        body: object,
        *,
        secret: bytes | None = None,
        at: int | None = None,
        signed_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a callback: ``body`` as JSON (or raw bytes), signed unless ``headers`` say
        otherwise; ``signed_body`` signs other bytes than those sent (tampering)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = int(time.time()) if at is None else at
        signature = sign(secret or self.secret, raw if signed_body is None else signed_body, stamp)
        sent = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        sent.update(headers or {})
        return self.client.post("/v1/callbacks", content=raw, headers=sent)

    def close(self) -> None:
        self.client.close()


def callback(
    submission_id: uuid.UUID, request_id: uuid.UUID, kind: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "eventId": str(uuid.uuid4()),
        "requestId": str(request_id),
        "submissionId": str(submission_id),
        "kind": kind,
        "occurredAt": "2026-11-26T09:15:02Z",
        "data": data,
    }


def writing_result(confidence: int) -> dict[str, Any]:
    return {
        "result": {
            "overallScore": 7.5,
            "band": "B2",
            "criteriaScores": {
                name: {"score": 7.5}
                for name in ("taskFulfillment", "organization", "vocabulary", "grammar")
            },
            "confidence": confidence,
        }
    }


def raw_request(port: int, head: bytes, chunks: list[bytes]) -> bytes:
    """Send ``head`` then ``chunks`` on a bare socket and return what the server answers
    (the status line first), for requests httpx would not send."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)
        for chunk in chunks:
            conn.sendall(chunk)
        received = b""
        while b"\r\n\r\n" not in received:
            data = conn.recv(65536)
            if not data:
                break
            received += data
        return received


def log_lines(processes: SystemProcesses, name: str) -> list[dict[str, Any]]:
    path: Path = processes.log_path(name)
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append({"raw": line})
    return lines
