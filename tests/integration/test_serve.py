"""`vstep-grading serve` as a real process on a real port, against this test's database.

Callbacks are signed as an external grader signs them and go through the one result
path; refusals write nothing; the server's health, readiness and metrics answer.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat, UserRole
from tests.factories import make_question, make_user, valid_answer
from tests.integration.outbox_seed import event_counts, seed_pending
from tests.integration.pipeline_checks import scalar, timeline
from tests.integration.serve_client import (
    SECRET,
    ServeClient,
    callback,
    free_port,
    raw_request,
    writing_result,
)
from tests.integration.system_processes import system_processes
from tests.private_servers import private_postgres
from workers.web.body import CALLBACK_MAX_BYTES
from workers.web.signature import SIGNATURE_HEADER, TOLERANCE_SECONDS, sign


@pytest.fixture
def serve_env(child_env: dict[str, str]) -> dict[str, str]:
    # No spot checks: a 95-confidence result must complete, not go to review by chance.
    return {**child_env, "CALLBACK_SECRET": SECRET, "SPOT_CHECK_RATE": "0"}


@pytest.fixture
def server(serve_env: dict[str, str], tmp_path: Path) -> Iterator[ServeClient]:
    with system_processes(serve_env, tmp_path) as processes:
        client = ServeClient(processes, free_port())
        try:
            client.start()
            yield client
        finally:
            client.close()


def queued_submission(engine: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    """A reading submission (seeded with its outbox row) moved to queued, and its request id."""
    (outbox_id,) = seed_pending(engine, 1)
    with engine.begin() as conn:
        submission_id, request_id = conn.execute(
            sa.text(
                "UPDATE submissions SET status = 'queued' "
                "WHERE id = (SELECT submission_id FROM outbox WHERE id = :id) "
                "RETURNING id, request_id"
            ),
            {"id": outbox_id},
        ).one()
    return submission_id, request_id


def writing_in_processing(
    session_factory: sessionmaker[Session], engine: Engine
) -> tuple[uuid.UUID, uuid.UUID]:
    """A writing submission taken by intake and moved to processing, and its request id."""
    with session_factory.begin() as session:
        user_id = make_user(session)
        question_id = make_question(session, format=QuestionFormat.WRITING_TASK_1)
    request_id = uuid.uuid4()
    result = submit_in_new_transaction(
        session_factory,
        request_id=request_id,
        user_id=user_id,
        question_id=question_id,
        answer=valid_answer(QuestionFormat.WRITING_TASK_1),
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE submissions SET status = 'processing' WHERE id = :id"),
            {"id": result.submission_id},
        )
    return result.submission_id, request_id


def written(engine: Engine) -> tuple[int, int]:
    """(processed callbacks, submission events): what a refused request must not add to."""
    return (
        scalar(engine, "SELECT count(*) FROM processed_callbacks"),
        scalar(engine, "SELECT count(*) FROM submission_events"),
    )


def test_a_signed_progress_is_applied_once_and_its_replay_is_a_duplicate(
    server: ServeClient, engine: Engine
) -> None:
    # given a queued submission
    submission_id, request_id = queued_submission(engine)
    body = callback(submission_id, request_id, "progress", {"progress": 0.5, "message": "half"})

    # when a grader posts a signed progress note, then the same body again
    first = server.post(body)
    replay = server.post(body)

    # then it is applied once, with one progress event, and the replay changes nothing
    assert (first.status_code, first.json()) == (200, {"status": "applied"})
    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    assert timeline(engine, submission_id).count("progress") == 1


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


def test_a_stale_request_is_409_and_leaves_a_stale_result_event(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a writing submission being graded for its current request
    submission_id, _current = writing_in_processing(session_factory, engine)

    # when a result answering another (older) request arrives
    answer = server.post(callback(submission_id, uuid.uuid4(), "completed", writing_result(95)))

    # then it is refused, recorded as stale, and the submission is still being graded
    assert answer.status_code == 409
    assert "stale_result" in timeline(engine, submission_id)
    assert scalar(engine, "SELECT status FROM submissions WHERE id = :id", id=submission_id) == (
        "processing"
    )


def test_a_confident_result_completes_the_submission(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    submission_id, request_id = writing_in_processing(session_factory, engine)

    answer = server.post(callback(submission_id, request_id, "completed", writing_result(95)))

    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    row = scalar(
        engine, "SELECT status || ' ' || score FROM submissions WHERE id = :id", id=submission_id
    )
    assert row == "completed 7.5"


def test_an_unsure_result_waits_for_review_and_metrics_show_the_backlog(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given a writing submission being graded and three rows waiting in the outbox
    submission_id, request_id = writing_in_processing(session_factory, engine)
    seed_pending(engine, 3)

    # when a result with confidence 60 arrives
    answer = server.post(callback(submission_id, request_id, "completed", writing_result(60)))

    # then it waits for a reviewer with priority high, and /metrics says so
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    row = scalar(
        engine,
        "SELECT status || ' ' || review_priority FROM submissions WHERE id = :id",
        id=submission_id,
    )
    assert row == "review_pending high"
    metrics = server.client.get("/metrics")
    assert metrics.status_code == 200
    lines = set(metrics.text.splitlines())
    assert 'vstep_review_backlog{priority="high"} 1.0' in lines
    # the writing submission's own outbox row from intake is pending too
    assert 'vstep_outbox_rows{status="pending"} 4.0' in lines
    assert "vstep_database_up 1.0" in lines
    assert any(line.startswith("vstep_outbox_oldest_pending_age_seconds ") for line in lines)
    # this process's own counters are there too
    assert 'vstep_callbacks_total{kind="completed",status="applied"} 1.0' in lines


def test_the_same_callback_a_hundred_times_at_once_is_applied_once(
    server: ServeClient, engine: Engine
) -> None:
    submission_id, request_id = queued_submission(engine)
    body = callback(submission_id, request_id, "progress", {"progress": 0.1})

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(lambda _: server.post(body), range(100)))

    assert Counter(a.status_code for a in answers) == {200: 100}
    assert Counter(a.json()["status"] for a in answers) == {"applied": 1, "duplicate": 99}
    assert event_counts(engine, "progress") == {submission_id: 1}


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


def test_every_kind_through_the_http_door_review_and_errors_included(
    server: ServeClient, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # given three writing submissions waiting for their grader
    reviewed_id, reviewed_rid = writing_in_processing(session_factory, engine)
    retried_id, retried_rid = writing_in_processing(session_factory, engine)
    failed_id, failed_rid = writing_in_processing(session_factory, engine)
    with session_factory.begin() as session:
        reviewer = make_user(session, role=UserRole.INSTRUCTOR)
    low = {"result": {"overallScore": 6.0, "confidence": 72}}
    review = {"reviewerId": str(reviewer), "overallScore": 6.5, "band": "B2"}
    error = {"type": "timeout", "code": "UPSTREAM_TIMEOUT", "message": "slow model"}
    answers = [
        # a result with medium confidence waits for review; the review finalizes it
        server.post(callback(reviewed_id, reviewed_rid, "completed", low)),
        server.post(callback(reviewed_id, reviewed_rid, "review", review)),
        # a retryable error sends the request again; another fails it
        server.post(
            callback(retried_id, retried_rid, "error", {"error": {**error, "retryable": True}})
        ),
        server.post(
            callback(failed_id, failed_rid, "error", {"error": {**error, "retryable": False}})
        ),
    ]
    assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "applied")] * 4
    statuses_by_id = dict(
        (row[0], row[1])
        for row in engine.connect().execute(sa.text("SELECT id, status::text FROM submissions"))
    )
    assert [statuses_by_id[i] for i in (reviewed_id, retried_id, failed_id)] == [
        "completed",
        "retrying",
        "failed",
    ]
    # 0.4 * 6.0 + 0.6 * 6.5 = 6.3 -> 6.5, hybrid, the reviewer recorded
    assert (
        scalar(
            engine,
            "SELECT score::text || ' ' || grading_mode::text || ' ' || reviewer_id"
            " FROM submissions "
            "WHERE id = :id",
            id=reviewed_id,
        )
        == f"6.5 hybrid {reviewer}"
    )
    assert timeline(engine, reviewed_id)[-3:] == ["review_requested", "reviewed", "completed"]
