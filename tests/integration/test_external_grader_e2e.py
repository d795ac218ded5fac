"""The whole loop as an outsider sees it: relay, worker and serve as processes, an external
grader on a local port that receives the documented request and calls back, signed, to
the callbackUrl it was given."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.intake import submit_in_new_transaction
from domain.enums import QuestionFormat
from tests.factories import make_question, make_user, valid_answer
from tests.grader_standin import grader_standin
from tests.integration.outbox_seed import event_counts
from tests.integration.pipeline_checks import scalar, statuses
from tests.integration.serve_client import ServeClient, free_port
from tests.integration.system_processes import system_processes
from tests.waiting import wait_until

SECRET = "e2e-grader-secret"
SUBMISSIONS = 5


def signed_post(url: str, body: dict[str, Any]) -> httpx.Response:
    """What an external grader does, written from the documented contract alone."""
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return httpx.post(
        url,
        content=raw,
        headers={"Content-Type": "application/json", "X-Signature": f"t={stamp},v1={digest}"},
        timeout=30,
    )


def test_an_external_grader_completes_submissions_through_the_callback_url(
    engine: Engine,
    session_factory: sessionmaker[Session],
    child_env: dict[str, str],
    redis_namespace: str,
    tmp_path: Path,
) -> None:
    answers: list[int] = []

    def grade_and_call_back(request: dict[str, Any]) -> None:
        common = {
            "requestId": request["requestId"],
            "submissionId": request["submissionId"],
            "occurredAt": datetime.now(UTC).isoformat(),
        }
        progress = {**common, "eventId": str(uuid.uuid4()), "kind": "progress",
                    "data": {"progress": 0.5}}  # fmt: skip
        result = {
            **common,
            "eventId": str(uuid.uuid4()),
            "kind": "completed",
            "data": {"result": {"overallScore": 6.5, "band": "B2", "confidence": 96}},
        }
        for body in (progress, result, result):  # the last one a replay
            answers.append(signed_post(request["callbackUrl"], body).status_code)

    port = free_port()
    with grader_standin(on_request=grade_and_call_back) as grader:
        env = {
            **child_env,
            "BROKER_NAMESPACE": redis_namespace,
            "CALLBACK_SECRET": SECRET,
            "AI_GRADER_URL": grader.url,
            "HTTP_PORT": str(port),
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SPOT_CHECK_RATE": "0",
        }
        with session_factory.begin() as session:
            user_id = make_user(session)
            question_id = make_question(session, format=QuestionFormat.WRITING_TASK_1)
        for _ in range(SUBMISSIONS):
            submit_in_new_transaction(
                session_factory,
                request_id=uuid.uuid4(),
                user_id=user_id,
                question_id=question_id,
                answer=valid_answer(QuestionFormat.WRITING_TASK_1),
            )
        with system_processes(env, tmp_path) as processes:
            # The grader calls back at once: serve must answer before the first request
            # goes out (a stand-in that met a refused connection would never call again).
            ServeClient(processes, port).start()
            processes.start("relay", "relay")
            processes.start("worker", "worker", "--processes", "1", "--threads", "2")
            wait_until(
                lambda: statuses(engine) == {"completed": SUBMISSIONS},
                timeout=60,
                message=lambda: (
                    f"not all completed: {statuses(engine)}; dead: {processes.dead()}\n"
                    + "\n".join(
                        f"--- {name}:\n{processes.tail(name)}"
                        for name in ("relay", "worker", "serve")
                    )
                ),
            )
            wait_until(lambda: len(answers) == 3 * SUBMISSIONS, timeout=30)
    # the grader got the documented request, with our callbackUrl
    assert {tuple(sorted(r)) for r in grader.received} == {
        ("answer", "callbackUrl", "question", "requestId", "skill", "submissionId")
    }
    assert {r["callbackUrl"] for r in grader.received} == {f"http://127.0.0.1:{port}/v1/callbacks"}
    # each submission completed once, through the HTTP door, the replay a duplicate
    assert sorted(answers) == [200] * (3 * SUBMISSIONS)
    assert len(event_counts(engine, "progress")) == SUBMISSIONS
    assert set(event_counts(engine, "completed").values()) == {1}
    assert scalar(engine, "SELECT count(*) FROM processed_callbacks") == 2 * SUBMISSIONS
    assert scalar(engine, "SELECT count(*) FROM user_skill_scores") == SUBMISSIONS
    assert scalar(engine, "SELECT min(score)::text FROM submissions") == "6.5"
