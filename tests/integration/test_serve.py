"""`vstep-grading serve` as a real process on a real port, against this test's database.

Callbacks signed wrongly, too large or malformed are refused and write nothing; the
server's health, readiness and metrics answer (callbacks applied: test_serve_callbacks.py).
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.integration.pipeline_checks import scalar
from tests.integration.serve_client import (
    SECRET,
    ServeClient,
    callback,
    free_port,
    raw_request,
)
from tests.integration.serve_submissions import queued_submission
from tests.integration.system_processes import system_processes
from tests.private_servers import private_postgres
from workers.web.body import CALLBACK_MAX_BYTES
from workers.web.signature import SIGNATURE_HEADER, TOLERANCE_SECONDS, sign


def written(engine: Engine) -> tuple[int, int]:
    """(processed callbacks, submission events): what a refused request must not add to."""
    return (
        scalar(engine, "SELECT count(*) FROM processed_callbacks"),
        scalar(engine, "SELECT count(*) FROM submission_events"),
    )


def test_refused_signatures_answer_401_and_write_nothing(
    server: ServeClient, engine: Engine
) -> None:
    # given a queued submission and a well-formed callback for it
    submission_id, request_id = queued_submission(engine)
    body = callback(submission_id, request_id, "progress", {"progress": 0.2})
    before = written(engine)

    # when it is sent signed but for the one thing each case breaks
    answers = {
        "stale": server.post(body, at=int(time.time()) - TOLERANCE_SECONDS - 1),
        "wrong secret": server.post(body, secret=b"not-the-secret"),
        "tampered body": server.post(body, signed_body=b'{"eventId": "another"}'),
        "missing header": server.client.post("/v1/callbacks", json=body),
        "malformed header": server.post(body, headers={SIGNATURE_HEADER: "sha256=abc"}),
    }

    # then each is a 401 with one line, and nothing was written
    for case, answer in answers.items():
        assert answer.status_code == 401, case
        assert set(answer.json()) == {"error"}, case
        assert "\n" not in answer.json()["error"], case
    assert written(engine) == before


def test_an_oversized_body_is_refused_before_it_is_read(server: ServeClient) -> None:
    # given a request that declares 2 MiB of body, signed, and sends none of it
    stamp = int(time.time())
    head = (
        "POST /v1/callbacks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"{SIGNATURE_HEADER}: {sign(SECRET.encode(), b'', stamp)}\r\n"
        f"Content-Length: {2 * CALLBACK_MAX_BYTES}\r\n\r\n"
    ).encode()

    # when it is sent, then the server answers 413 without waiting for the body
    assert raw_request(server.port, head, []).startswith(b"HTTP/1.1 413")


def test_the_limit_is_one_mebibyte_of_body(server: ServeClient) -> None:
    # a signed body of exactly the limit is read (and is not JSON); one byte more is not
    at_limit = server.post(b"x" * CALLBACK_MAX_BYTES)
    over = server.post(b"x" * (CALLBACK_MAX_BYTES + 1))

    assert (at_limit.status_code, at_limit.json()["field"]) == (422, "body")
    assert over.status_code == 413


def test_a_chunked_body_stops_being_read_past_the_limit(server: ServeClient) -> None:
    # given a chunked request whose chunks pass 1 MiB (the last chunk never sent)
    stamp = int(time.time())
    head = (
        "POST /v1/callbacks HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"{SIGNATURE_HEADER}: {sign(SECRET.encode(), b'', stamp)}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    piece = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * (CALLBACK_MAX_BYTES // len(piece) + 1)

    # when it is sent, then the answer is 413
    assert raw_request(server.port, head, chunks).startswith(b"HTTP/1.1 413")


def test_bad_bodies_answer_422_naming_the_field(server: ServeClient, engine: Engine) -> None:
    submission_id, request_id = queued_submission(engine)
    before = written(engine)

    malformed = server.post(b'{"eventId": ')
    no_event_id = callback(submission_id, request_id, "progress", {})
    del no_event_id["eventId"]
    missing = server.post(no_event_id)

    assert malformed.status_code == 422
    assert malformed.json()["field"] == "body"
    assert missing.status_code == 422
    assert missing.json()["field"] == "payload.eventId"
    assert written(engine) == before


def test_an_unknown_submission_is_404(server: ServeClient) -> None:
    answer = server.post(callback(uuid.uuid4(), uuid.uuid4(), "progress", {}))
    assert answer.status_code == 404
    assert set(answer.json()) == {"error"}


def test_health_readiness_and_the_openapi_document(server: ServeClient) -> None:
    assert server.client.get("/healthz").json() == {"status": "ok"}
    ready = server.client.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok", "broker": "ok"})
    document = server.client.get("/openapi.json").json()
    responses = document["paths"]["/v1/callbacks"]["post"]["responses"]
    assert {"200", "401", "404", "409", "413", "422", "500", "503"} <= set(responses)
    assert document["servers"] == [{"url": server.base_url}]


def test_readiness_fails_while_the_database_is_away(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    # given a server whose database went away after it started (it starts only once the
    # database answers)
    with (
        private_postgres() as postgres,
        system_processes(
            {**serve_env, "DATABASE_URL": postgres.admin_url()}, tmp_path
        ) as processes,
    ):
        client = ServeClient(processes, free_port())
        try:
            client.start()
            postgres.stop()

            # then it is alive but not ready, and says which dependency failed
            assert client.client.get("/healthz").status_code == 200
            ready = client.client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["failed"] == ["database"]
            assert ready.json()["checks"]["broker"] == "ok"
            # metrics still answer, saying the database was not read
            assert "vstep_database_up 0.0" in client.client.get("/metrics").text.splitlines()
            # and a callback is 503, for the sender to send again later
            answer = client.post(callback(uuid.uuid4(), uuid.uuid4(), "progress", {}))
            assert answer.status_code == 503
            # naming the trouble, not where our database is
            assert "127.0.0.1" not in answer.json()["error"]
        finally:
            client.close()


def test_sigterm_stops_the_server_cleanly(server: ServeClient) -> None:
    process = server.processes.processes["serve"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert server.processes.events("serve", "serve_stopped")
