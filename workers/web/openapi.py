"""The OpenAPI description of ``POST /v1/callbacks``, for builders of an external grader.

One source: ``serve`` answers it at ``GET /openapi.json`` (with its server URL) and
docs/callbacks.openapi.json is this document written out (``python -m
workers.web.openapi > docs/callbacks.openapi.json``); a test keeps the two equal.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from domain.callbacks import CRITERIA, SCORE_MAX, SCORE_MIN
from domain.enums import Skill
from domain.messages import CallbackKind
from domain.results import Verdict
from workers.web.body import CALLBACK_MAX_BYTES
from workers.web.signature import SIGNATURE_HEADER, TOLERANCE_SECONDS

_UUID = {"type": "string", "format": "uuid"}
_SCORE = {
    "type": "number",
    "minimum": SCORE_MIN,
    "maximum": SCORE_MAX,
    "description": "0-10; rounded half up to a multiple of 0.5.",
}
_BAND = {
    "type": ["string", "null"],
    "enum": ["B1", "B2", "C1", None],
    "description": "The certificate band of the score (C1 >= 8.5, B2 >= 6.0, B1 >= 4.0, "
    "none below); optional, and refused when it contradicts the score.",
}
_ALL_CRITERIA = sorted({name for names in CRITERIA.values() for name in names})


def _criterion_list(skill: Skill) -> str:
    return ", ".join(CRITERIA[skill])


_CRITERIA_SCORES = {
    "type": "object",
    "description": (
        f"Scores per criterion. Writing: {_criterion_list(Skill.WRITING)}. Speaking: "
        f"{_criterion_list(Skill.SPEAKING)}. A criterion of another skill is refused (422). "
        "Each is {score, comment} or a bare score; null where it cannot be judged."
    ),
    "properties": {name: {"$ref": "#/components/schemas/Criterion"} for name in _ALL_CRITERIA},
    "additionalProperties": False,
}
_FEEDBACK = {
    "type": ["object", "null"],
    "description": "Free-form feedback for the learner, e.g. {strengths, weaknesses, suggestions}.",
    "additionalProperties": True,
}


def _error_response(description: str, *, field: bool = False) -> dict[str, Any]:
    schema = "FieldError" if field else "Error"
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _callback(kind: CallbackKind, data: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "allOf": [
            {"$ref": "#/components/schemas/CallbackEnvelope"},
            {
                "type": "object",
                "properties": {
                    "kind": {"const": kind.value},
                    "data": {"$ref": f"#/components/schemas/{data}"},
                },
            },
        ],
    }


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
                                "schema": {"$ref": "#/components/schemas/GradingCallback"},
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
                                    "schema": {"$ref": "#/components/schemas/Accepted"}
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


def _schemas() -> dict[str, Any]:
    return {
        "GradingCallback": {
            "oneOf": [
                {"$ref": f"#/components/schemas/{name}"}
                for name in (
                    "ProgressCallback",
                    "CompletedCallback",
                    "ErrorCallback",
                    "ReviewCallback",
                )
            ],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {
                    "progress": "#/components/schemas/ProgressCallback",
                    "completed": "#/components/schemas/CompletedCallback",
                    "error": "#/components/schemas/ErrorCallback",
                    "review": "#/components/schemas/ReviewCallback",
                },
            },
        },
        "CallbackEnvelope": {
            "type": "object",
            "required": ["eventId", "requestId", "submissionId", "kind", "occurredAt"],
            "properties": {
                "eventId": {**_UUID, "description": "Unique per callback: the dedup key."},
                "requestId": {
                    **_UUID,
                    "description": "The requestId of the grading request this answers.",
                },
                "submissionId": _UUID,
                "kind": {"type": "string", "enum": [kind.value for kind in CallbackKind]},
                "occurredAt": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it happened at the sender, with a UTC offset.",
                },
                "data": {"type": "object"},
            },
            "additionalProperties": True,
        },
        "ProgressCallback": _callback(
            CallbackKind.PROGRESS,
            "ProgressData",
            "Best effort: dropped after a final state or when closer than a few seconds to "
            "the previous one.",
        ),
        "CompletedCallback": _callback(
            CallbackKind.COMPLETED,
            "CompletedData",
            "An AI result. Final: completed at once, or sent to human review by confidence "
            "(90-100 completed; 85-89 completed and audited; below 85 review).",
        ),
        "ErrorCallback": _callback(
            CallbackKind.ERROR,
            "ErrorData",
            "The grader could not grade it. retryable: the request is sent again (within "
            "the retry budget); otherwise the submission fails with the code and message.",
        ),
        "ReviewCallback": _callback(
            CallbackKind.REVIEW,
            "ReviewData",
            "A human reviewer's result; merged with the AI result (docs/scoring.md#review-merge).",
        ),
        "ProgressData": {
            "type": "object",
            "properties": {
                "progress": {"type": "number", "minimum": 0, "maximum": 1},
                "message": {"type": "string", "maxLength": 1000},
            },
        },
        "CompletedData": {
            "type": "object",
            "required": ["result"],
            "properties": {"result": {"$ref": "#/components/schemas/AiResult"}},
        },
        "AiResult": {
            "type": "object",
            "required": ["overallScore", "confidence"],
            "properties": {
                "overallScore": _SCORE,
                "band": _BAND,
                "criteriaScores": _CRITERIA_SCORES,
                "feedback": _FEEDBACK,
                "confidence": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 100,
                    "description": "0-100, rounded half up to an integer.",
                },
                "confidenceFactors": {"type": ["object", "null"], "additionalProperties": True},
                "grader": {
                    "type": ["string", "null"],
                    "description": "Name/version of the grader.",
                },
            },
        },
        "Criterion": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "score": {**_SCORE, "type": ["number", "null"]},
                        "comment": {"type": ["string", "null"]},
                    },
                },
                {**_SCORE, "type": ["number", "null"]},
            ]
        },
        "ErrorData": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["type", "code", "message", "retryable"],
                    "properties": {
                        "type": {"type": "string", "minLength": 1, "maxLength": 100},
                        "code": {"type": "string", "minLength": 1, "maxLength": 100},
                        "message": {"type": "string", "maxLength": 2000},
                        "retryable": {"type": "boolean"},
                    },
                }
            },
        },
        "ReviewData": {
            "type": "object",
            "required": ["reviewerId", "overallScore"],
            "properties": {
                "reviewerId": {
                    **_UUID,
                    "description": "An active (not deleted) instructor or admin, never the "
                    "submission's own learner; anyone else is refused (422, field "
                    "data.reviewerId) and nothing is written.",
                },
                "overallScore": {
                    **_SCORE,
                    "multipleOf": 0.1,
                    "description": "0-10, at most one decimal (6.35 is refused); kept as "
                    "given, and the final score is rounded half up to 0.5 once, after the "
                    "merge (0.4 * 6.0 + 0.6 * 6.3 = 6.18 -> 6.0).",
                },
                "band": _BAND,
                "criteriaScores": {**_CRITERIA_SCORES, "type": ["object", "null"]},
                "feedback": _FEEDBACK,
                "comment": {"type": ["string", "null"], "maxLength": 10000},
            },
        },
        "Accepted": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {
                    "type": "string",
                    "enum": [verdict.value for verdict in Verdict if verdict is not Verdict.STALE],
                }
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string", "description": "One line."}},
        },
        "FieldError": {
            "type": "object",
            "required": ["error", "field"],
            "properties": {
                "error": {"type": "string", "description": "One line."},
                "field": {"type": "string", "description": "The bad field, as sent."},
            },
        },
    }


def main() -> None:
    json.dump(callbacks_openapi(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
