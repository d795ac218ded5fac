"""Both graders are one TextGrader (mypy checks the Protocol): answer now, or send later."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from db.grading import GradingInput
from domain.enums import QuestionFormat, Skill, SubmissionStatus
from domain.results import AiResult
from workers.ai_grader import AiGraderClient, GraderRequest
from workers.text_graders import UNANSWERED, BuiltinGrader, TextGrader


def unanswered_essay() -> GradingInput:
    now = datetime.now(UTC)
    return GradingInput(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        question_id=uuid.uuid4(),
        skill=Skill.WRITING,
        status=SubmissionStatus.QUEUED,
        request_id=uuid.uuid4(),
        attempt=1,
        created_at=now,
        deleted_at=None,
        deadline=None,
        answer={"text": ""},
        question_format=QuestionFormat.WRITING_TASK_1,
        question_content={"prompt": "Write a letter."},
        answer_key=None,
        now=now,
    )


def test_the_builtin_grader_answers_now_and_the_external_one_says_what_to_send() -> None:
    refused = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(500)))
    external = AiGraderClient("http://grader", callback_url="http://cb", client=refused)
    graders: list[TextGrader] = [BuiltinGrader(), external]
    assert [grader.name for grader in graders] == ["builtin", "http://grader"]
    submission = unanswered_essay()
    # the built-in grader needs no transaction for an answer with nothing to compare
    answered = UNANSWERED.grade(None, submission)  # type: ignore[arg-type]
    assert isinstance(answered, AiResult)
    request = external.grade(None, submission)  # type: ignore[arg-type]
    assert isinstance(request, GraderRequest)
    assert request.to_json()["submissionId"] == str(submission.id)
    assert request.to_json()["callbackUrl"] == "http://cb"
    # and the built-in grader's send sends nothing (there is no client to send with)
    BuiltinGrader().send(request)
    assert not hasattr(BuiltinGrader(), "client")
