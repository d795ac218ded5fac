"""The external AI grader: writing and speaking requests go out over HTTP, results come back
as callbacks (``POST /v1/callbacks``) through the one result path.

The grader answers at once and calls back later. 429, 5xx, timeouts and connection
errors are transient (``GraderUnavailable``, with the grader's Retry-After when it
gives one); any other 4xx means the grader will never take this request
(``GraderRefused``).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import httpx

from db.grading import GradingInput
from db.statements import Tx
from domain.errors import TransientError, VstepGradingError

# How long the grader may take to accept a request (it grades later, asynchronously).
CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 15.0


class GraderUnavailable(TransientError):
    """The AI grader did not take the request now; it may later."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message)


class GraderRefused(VstepGradingError):
    """The AI grader refused the request; sending it again cannot help."""


@dataclass(frozen=True)
class GraderRequest:
    request_id: str
    submission_id: str
    skill: str
    question: dict[str, Any]
    answer: dict[str, Any]
    callback_url: str

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "submissionId": self.submission_id,
            "skill": self.skill,
            "question": self.question,
            "answer": self.answer,
            "callbackUrl": self.callback_url,
        }


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class AiGraderClient:
    """A ``TextGrader`` (workers/text_graders.py) that answers later: ``grade`` says what
    to send, ``send`` sends it once the worker has committed, the result is a callback."""

    def __init__(self, url: str, *, callback_url: str, client: httpx.Client | None = None) -> None:
        self.url = url
        self.name = url
        self.callback_url = callback_url
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        )

    def grade(self, tx: Tx, submission: GradingInput) -> GraderRequest:
        """The request for ``submission``; nothing is read or sent here."""
        return GraderRequest(
            request_id=str(submission.request_id),
            submission_id=str(submission.id),
            skill=submission.skill.value,
            question={
                "format": submission.question_format.value,
                "content": submission.question_content,
            },
            answer=submission.answer or {},
            callback_url=self.callback_url,
        )

    def send(self, request: GraderRequest) -> None:
        """Hand the request over; GraderUnavailable or GraderRefused when it was not taken."""
        try:
            response = self.client.post(self.url, json=request.to_json())
        except httpx.TimeoutException as exc:
            raise GraderUnavailable(f"AI grader timed out: {exc}") from exc
        except httpx.TransportError as exc:
            raise GraderUnavailable(f"AI grader unreachable: {exc}") from exc
        status = response.status_code
        if status < 400:
            return
        detail = f"AI grader answered {status}: {response.text[:300]}"
        if status == 429 or status >= 500:
            raise GraderUnavailable(
                detail, retry_after_seconds=retry_after_seconds(response.headers.get("Retry-After"))
            )
        raise GraderRefused(detail)

    def close(self) -> None:
        self.client.close()
