"""Wire messages: camelCase JSON in and out, strict where a producer bug would hide."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from domain import messages
from domain.enums import Skill
from domain.errors import InvalidInput

REQUEST_ID = UUID("0b6b1f1e-6a43-4c1f-9f39-2f7f9b1a0001")
SUBMISSION_ID = UUID("0b6b1f1e-6a43-4c1f-9f39-2f7f9b1a0002")
USER_ID = UUID("0b6b1f1e-6a43-4c1f-9f39-2f7f9b1a0003")
EVENT_ID = UUID("0b6b1f1e-6a43-4c1f-9f39-2f7f9b1a0004")


def request_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "requestId": str(REQUEST_ID),
        "submissionId": str(SUBMISSION_ID),
        "userId": str(USER_ID),
        "skill": "writing",
        "attempt": 1,
        "deadline": "2025-03-01T08:50:00Z",
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


def test_message_type_names() -> None:
    assert messages.MESSAGE_TYPE_GRADING_REQUEST == "grading.request"
    assert messages.MESSAGE_TYPE_GRADING_CALLBACK == "grading.callback"


def test_request_parses_camel_case_payload_into_snake_case_attributes() -> None:
    # given an outbox payload / when parsed
    request = messages.parse_grading_request(request_payload())
    # then attributes are typed and snake_case
    assert request.request_id == REQUEST_ID
    assert request.submission_id == SUBMISSION_ID
    assert request.user_id == USER_ID
    assert request.skill is Skill.WRITING
    assert request.attempt == 1
    assert request.deadline == datetime(2025, 3, 1, 8, 50, tzinfo=UTC)
    assert request.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    "payload",
    [
        request_payload(),
        request_payload(traceId=None),
        request_payload(deadline="2025-03-01T15:50:00+07:00", attempt=3, skill="listening"),
    ],
)
def test_request_payload_round_trips_through_json(payload: dict[str, Any]) -> None:
    # given a parsed request / when turned back into a payload and JSON
    request = messages.parse_grading_request(payload)
    out = request.to_payload()
    # then it is JSON-ready camelCase and parses back to the same request
    assert set(out) == set(payload)
    assert messages.parse_grading_request(json.loads(json.dumps(out))) == request


def test_request_payload_leaves_out_absent_trace_id() -> None:
    # given a request built in Python without a trace id / when serialized
    request = messages.GradingRequest(
        request_id=REQUEST_ID,
        submission_id=SUBMISSION_ID,
        user_id=USER_ID,
        skill=Skill.READING,
        attempt=2,
        deadline=datetime(2025, 3, 1, 8, 35, tzinfo=UTC),
    )
    # then the payload is camelCase, strings for ids and times, and no traceId key
    assert request.to_payload() == {
        "requestId": str(REQUEST_ID),
        "submissionId": str(SUBMISSION_ID),
        "userId": str(USER_ID),
        "skill": "reading",
        "attempt": 2,
        "deadline": "2025-03-01T08:35:00Z",
    }


def test_unknown_payload_keys_are_ignored() -> None:
    # given a newer producer adding a key / when parsed / then older consumers still accept it
    request = messages.parse_grading_request(request_payload(priority="high"))
    assert "priority" not in request.to_payload()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "payload"),
        ("not an object", "payload"),
        (request_payload(requestId="nope"), "payload.requestId"),
        ({k: v for k, v in request_payload().items() if k != "userId"}, "payload.userId"),
        (request_payload(skill="maths"), "payload.skill"),
        (request_payload(attempt=0), "payload.attempt"),
        (request_payload(attempt="1"), "payload.attempt"),
        (request_payload(attempt=True), "payload.attempt"),
        (request_payload(attempt=1.5), "payload.attempt"),
        # a deadline without a zone cannot be compared with now(); refuse it
        (request_payload(deadline="2025-03-01T08:50:00"), "payload.deadline"),
        (request_payload(deadline="tomorrow"), "payload.deadline"),
        (request_payload(traceId=123), "payload.traceId"),
    ],
)
def test_bad_request_payload_names_the_field(payload: object, field: str) -> None:
    # given a malformed payload / when parsed
    with pytest.raises(InvalidInput) as caught:
        messages.parse_grading_request(payload)
    # then the field is named in camelCase and the pydantic error is kept as the cause
    assert caught.value.field == field
    assert isinstance(caught.value.__cause__, ValidationError)


def test_requests_are_frozen() -> None:
    request = messages.parse_grading_request(request_payload())
    with pytest.raises(ValidationError):
        request.attempt = 2  # type: ignore[misc]


def callback_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventId": str(EVENT_ID),
        "requestId": str(REQUEST_ID),
        "submissionId": str(SUBMISSION_ID),
        "kind": "completed",
        "occurredAt": "2025-03-01T08:40:00+00:00",
        "data": {"result": {"overallScore": 6.5, "band": "B2", "confidence": 91}},
    }
    payload.update(changes)
    return payload


@pytest.mark.parametrize("kind", list(messages.CallbackKind))
def test_callback_parses_every_kind(kind: messages.CallbackKind) -> None:
    # given a callback of each kind / when parsed / then kind and data come through
    callback = messages.parse_grading_callback(callback_payload(kind=kind.value))
    assert callback.kind is kind
    assert callback.event_id == EVENT_ID
    assert callback.occurred_at == datetime(2025, 3, 1, 8, 40, tzinfo=UTC)
    assert callback.data["result"]["overallScore"] == 6.5


def test_callback_data_defaults_to_empty() -> None:
    # given a progress callback without data / when parsed / then data is an empty dict
    payload = callback_payload(kind="progress")
    del payload["data"]
    assert messages.parse_grading_callback(payload).data == {}


def test_callback_round_trips_through_json() -> None:
    callback = messages.GradingCallback(
        event_id=EVENT_ID,
        request_id=REQUEST_ID,
        submission_id=SUBMISSION_ID,
        kind=messages.CallbackKind.ERROR,
        occurred_at=datetime(2025, 3, 1, 15, 40, tzinfo=timezone(timedelta(hours=7))),
        data={"error": {"type": "timeout", "code": "E_TIMEOUT", "retryable": True}},
    )
    out = callback.to_payload()
    assert out["eventId"] == str(EVENT_ID)
    assert out["occurredAt"] == "2025-03-01T15:40:00+07:00"
    assert messages.parse_grading_callback(json.loads(json.dumps(out))) == callback


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (callback_payload(kind="finished"), "payload.kind"),
        (callback_payload(eventId="x"), "payload.eventId"),
        (callback_payload(occurredAt="2025-03-01T08:40:00"), "payload.occurredAt"),
        (callback_payload(data=[1, 2]), "payload.data"),
    ],
)
def test_bad_callback_names_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        messages.parse_grading_callback(payload)
    assert caught.value.field == field
