"""The OpenAPI description of ``POST /v1/callbacks``, for builders of an external grader.

The body's schemas are generated, in their validation mode, from the pydantic models that
validate a callback: the envelope (``domain.messages.GradingCallback``) with, per kind,
the model of its data (``domain.callbacks.DATA_MODELS``); their fields carry the
descriptions. This module adds what no model holds: the path, the signature header, the
answers and the examples. ``serve`` answers the document at ``GET /openapi.json`` (with
its server URL) and docs/callbacks.openapi.json is it written out (``python -m
workers.web.openapi > docs/callbacks.openapi.json``); a test keeps the two equal.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

from domain.callbacks import DATA_MODELS
from domain.messages import CallbackKind, GradingCallback
from workers.web.body import CALLBACK_MAX_BYTES
from workers.web.signature import SIGNATURE_HEADER, TOLERANCE_SECONDS

SCHEMAS = "#/components/schemas/"


class Accepted(BaseModel):
    """A callback taken (200)."""

    # Verdict's values but stale, which is answered 409 (a test keeps the two in step).
    status: Literal["applied", "duplicate", "ignored", "late"]


class Error(BaseModel):
    """A refusal, or our own trouble."""

    error: str = Field(description="One line.")


class FieldError(Error):
    """A refusal of the body or of one of its fields (422)."""

    field: str = Field(description="The bad field, as sent.")


ANSWERS: tuple[type[BaseModel], ...] = (Accepted, Error, FieldError)


def _callback_of(kind: CallbackKind, data: type[BaseModel]) -> type[GradingCallback]:
    """The envelope with ``kind`` fixed and ``data`` the model that validates that kind's."""
    required = any(field.is_required() for field in data.model_fields.values())
    # The kind as a one-value type; built at run time, so typed as Any.
    fixed: Any = Literal[kind]
    return create_model(
        f"{kind.value.capitalize()}Callback",
        __base__=GradingCallback,
        kind=(fixed, ...),
        data=(data, ...) if required else (data, Field(default_factory=data)),
    )


def body_adapter() -> TypeAdapter[Any]:
    """The request body as one type: a callback of any kind, told apart by ``kind``."""
    callbacks = tuple(_callback_of(kind, data) for kind, data in DATA_MODELS.items())
    # A union of types built at run time: typing's Union takes their tuple.
    union: Any = Union[callbacks]  # noqa: UP007
    return TypeAdapter(Annotated[union, Field(discriminator="kind")])


class _NoFieldTitles(GenerateJsonSchema):
    """Pydantic's schemas less the titles it makes up for fields ("Eventid")."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _schemas() -> dict[str, Any]:
    """components.schemas: the body's (under GradingCallback) and the answers'."""
    inputs: list[tuple[str, JsonSchemaMode, TypeAdapter[Any]]] = [
        ("GradingCallback", "validation", body_adapter()),
        *((answer.__name__, "serialization", TypeAdapter(answer)) for answer in ANSWERS),
    ]
    keyed, top = TypeAdapter.json_schemas(
        inputs, ref_template=SCHEMAS + "{model}", schema_generator=_NoFieldTitles
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    schemas["GradingCallback"] = keyed[("GradingCallback", "validation")]
    return schemas


SUBMISSION_ID = "0b7c7a5e-3f7e-4c33-9a55-0f6a2b1d9c11"
REQUEST_ID = "5d2f8c1a-91b4-4f0e-8a3e-6c1f2e7d4b20"
EXAMPLES: dict[str, dict[str, Any]] = {
    "progress": {
        "eventId": "e1a6f0c2-2b47-4b8e-9d51-3c9f7a1e0d01",
        "requestId": REQUEST_ID,
        "submissionId": SUBMISSION_ID,
        "kind": "progress",
        "occurredAt": "2026-11-26T09:15:02Z",
        "data": {"progress": 0.5, "message": "scoring criteria"},
    },
    "completed": {
        "eventId": "e1a6f0c2-2b47-4b8e-9d51-3c9f7a1e0d02",
        "requestId": REQUEST_ID,
        "submissionId": SUBMISSION_ID,
        "kind": "completed",
        "occurredAt": "2026-11-26T09:15:40Z",
        "data": {
            "result": {
                "overallScore": 7.5,
                "band": "B2",
                "criteriaScores": {
                    "taskFulfillment": {"score": 7.5, "comment": "Covers every point."},
                    "organization": {"score": 7.0, "comment": None},
                    "vocabulary": 8.0,
                    "grammar": {"score": 7.5},
                },
                "feedback": {
                    "strengths": ["clear paragraphing"],
                    "weaknesses": ["a few article errors"],
                    "suggestions": ["vary sentence openings"],
                },
                "confidence": 93,
                "confidenceFactors": {"modelConsistency": 95, "ruleValidation": 100},
                "grader": "example-ai-grader/2",
            }
        },
    },
    "error": {
        "eventId": "e1a6f0c2-2b47-4b8e-9d51-3c9f7a1e0d03",
        "requestId": REQUEST_ID,
        "submissionId": SUBMISSION_ID,
        "kind": "error",
        "occurredAt": "2026-11-26T09:15:40Z",
        "data": {
            "error": {
                "type": "upstream",
                "code": "MODEL_OVERLOADED",
                "message": "the model answered 503",
                "retryable": True,
            }
        },
    },
    "review": {
        "eventId": "e1a6f0c2-2b47-4b8e-9d51-3c9f7a1e0d04",
        "requestId": REQUEST_ID,
        "submissionId": SUBMISSION_ID,
        "kind": "review",
        "occurredAt": "2026-11-26T10:02:13Z",
        "data": {
            "reviewerId": "9a1d3c4e-5f60-4718-8293-a4b5c6d7e8f9",
            "overallScore": 7.0,
            "band": "B2",
            "criteriaScores": {"taskFulfillment": 7.0, "organization": 7.0},
            "comment": "Agree with the AI on content; grammar slightly weaker.",
        },
    },
}

DESCRIPTION = f"""\
How an external AI grader or a reviewers' tool hands a result back to vstep-grading.

**Signing.** Send the header `{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>` where `v1` is
the HMAC-SHA256, keyed with the shared secret (CALLBACK_SECRET), of the bytes
`<t>.<body>`: the decimal timestamp, a dot, then the request body exactly as sent. The
signature is checked on those raw bytes before the body is parsed, so sign the bytes you
send (no re-serialisation in between). `t` may be at most {TOLERANCE_SECONDS} s away from
our clock, either way. Several `v1=` entries may be given (while a secret is rotated);
one must match.

**Delivery.** At least once: send again on a timeout, a connection error or a 503, with
the same `eventId` (the deduplication key) and a fresh signature; a replay answers
`duplicate` and changes nothing. A 4xx other than those is final: sending the same body
again gets the same answer.

**Size.** At most {CALLBACK_MAX_BYTES} bytes of body (413 above, refused unread).
"""


def callbacks_openapi(server_url: str | None = None) -> dict[str, Any]:
    """The document; with ``server_url``, as a server answers it (its ``servers`` set)."""
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "vstep-grading callbacks",
            "version": "1",
            "description": DESCRIPTION,
        },
        "paths": {
            "/v1/callbacks": {
                "post": {
                    "operationId": "postGradingCallback",
                    "summary": "Report progress, a result, an error or a human review",
                    "parameters": [
                        {
                            "name": SIGNATURE_HEADER,
                            "in": "header",
                            "required": True,
                            "description": (
                                "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' "
                                "keyed with CALLBACK_SECRET>"
                            ),
                            "schema": {
                                "type": "string",
                                "pattern": r"^t=[0-9]+(,v1=[0-9a-fA-F]{64})+$",
                            },
                            "example": "t=1795684502,v1=" + "0" * 64,
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": SCHEMAS + "GradingCallback"},
                                "examples": {
                                    kind: {"value": value} for kind, value in EXAMPLES.items()
                                },
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "Taken. applied: it changed the submission; duplicate: this "
                                "eventId was taken before; ignored: it no longer applies "
                                "(a progress note after the result, a second result); late: "
                                "the deadline had passed, the result is stored as late."
                            ),
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": SCHEMAS + Accepted.__name__}
                                }
                            },
                        },
                        "401": _error_response(
                            f"The {SIGNATURE_HEADER} header is missing, malformed or wrong, "
                            f"or its t is more than {TOLERANCE_SECONDS} s away. Nothing "
                            "was applied."
                        ),
                        "404": _error_response("No such submission."),
                        "409": _error_response(
                            "requestId is not the submission's current request: a result "
                            "of an earlier attempt never overwrites a newer one (recorded "
                            "as a stale_result event)."
                        ),
                        "413": _error_response(f"The body is over {CALLBACK_MAX_BYTES} bytes."),
                        "422": _error_response(
                            "The body is not JSON (field 'body') or a field is invalid; "
                            "'field' names it as sent, e.g. payload.eventId or "
                            "data.result.overallScore (data.reviewerId for a reviewer who "
                            "is not an active instructor or admin, or is the learner). "
                            "Nothing was applied: the same eventId, corrected, is applied.",
                            field=True,
                        ),
                        "500": _error_response("A fault of ours; nothing was applied."),
                        "503": _error_response(
                            "The database is away; nothing was applied. Send it again later."
                        ),
                    },
                }
            }
        },
        "components": {"schemas": _schemas()},
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def _error_response(description: str, *, field: bool = False) -> dict[str, Any]:
    schema = (FieldError if field else Error).__name__
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": SCHEMAS + schema}}},
    }


def main() -> None:
    json.dump(callbacks_openapi(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
