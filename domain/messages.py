"""Wire messages of the outbox, workers and graders (docs/grading-pipeline.md#messages).

JSON is camelCase because producers and graders in other languages share the
contract; Python code reads snake_case attributes. Unknown keys are ignored so a
sender may add fields without breaking older consumers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError
from pydantic.alias_generators import to_camel

from domain.enums import Skill
from domain.errors import InvalidInput

# outbox.message_type values; the relay routes each to its queue.
MESSAGE_TYPE_GRADING_REQUEST = "grading.request"
MESSAGE_TYPE_GRADING_CALLBACK = "grading.callback"


class _WireMessage(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready camelCase dict; absent optionals are left out, not sent as null."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class GradingRequest(_WireMessage):
    """``grading.request``: which submission to grade; the worker reads the rest from the DB."""

    request_id: UUID
    submission_id: UUID
    user_id: UUID
    skill: Skill
    # Strict: "2" or true as an attempt number is a producer bug worth refusing.
    attempt: Annotated[StrictInt, Field(ge=1)]
    deadline: AwareDatetime
    trace_id: str | None = None
    # A retry's backoff: the relay publishes the message to be delivered no earlier.
    not_before: AwareDatetime | None = None


class CallbackKind(StrEnum):
    PROGRESS = "progress"
    COMPLETED = "completed"
    ERROR = "error"
    REVIEW = "review"


class GradingCallback(_WireMessage):
    """``grading.callback``: a result, error, progress note or human review for a submission."""

    # The dedup key: processed_callbacks stores it with the callback's effect.
    event_id: UUID = Field(description="Unique per callback: the deduplication key.")
    request_id: UUID = Field(description="The requestId of the grading request this answers.")
    submission_id: UUID
    kind: CallbackKind
    occurred_at: AwareDatetime = Field(
        description="When it happened at the sender, with a UTC offset."
    )
    data: dict[str, Any] = Field(default_factory=dict)


def check_request_matches(
    request: GradingRequest,
    *,
    request_id: UUID | None,
    user_id: UUID,
    skill: Skill,
    question_skill: Skill,
) -> None:
    """InvalidInput when a request disagrees with the submission row it names.

    Such a request would grade the wrong attempt or file the score under the wrong user or
    skill; it is poison, however well-formed.
    """
    if request.request_id != request_id:
        raise InvalidInput(
            "payload.requestId",
            f"{request.request_id} is not the submission's request {request_id}",
        )
    if request.user_id != user_id:
        raise InvalidInput(
            "payload.userId", f"{request.user_id} is not the submission's user {user_id}"
        )
    if request.skill != skill:
        raise InvalidInput(
            "payload.skill", f"{request.skill} is not the submission's skill {skill}"
        )
    if skill != question_skill:
        raise InvalidInput(
            "submissions.skill", f"{skill} is not the skill of its question ({question_skill})"
        )


_M = TypeVar("_M", bound=_WireMessage)


def parse_grading_request(payload: object) -> GradingRequest:
    """Validate a ``grading.request`` payload; InvalidInput names the first bad field."""
    return _parse(GradingRequest, payload)


def parse_grading_callback(payload: object) -> GradingCallback:
    """Validate a ``grading.callback`` body; InvalidInput names the first bad field."""
    return _parse(GradingCallback, payload)


def _parse(model: type[_M], payload: object) -> _M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        # loc holds the camelCase alias the sender used; an empty loc means the payload itself.
        field = ".".join(["payload", *(str(part) for part in first["loc"])])
        raise InvalidInput(field, first["msg"]) from exc
