"""The callbacks' OpenAPI document: one source for the served and the written copy, schemas
generated from the validating models, a valid OpenAPI 3.1 document, and examples that both
the document and the real validators take."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate as validate_openapi

from domain.callbacks import incoming_of
from domain.enums import Skill
from domain.errors import InvalidInput
from domain.messages import parse_grading_callback
from domain.results import Verdict
from workers.web.errors import STATUS_OF_ERROR
from workers.web.openapi import EXAMPLES, Accepted, body_adapter, callbacks_openapi

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "callbacks.openapi.json"


def body_validator(document: dict[str, Any]) -> OAS31Validator:
    """A validator of the request body against the document's own schema: the document's
    components ride along in the root schema, so its "#/components/..." $refs resolve."""
    body = document["paths"]["/v1/callbacks"]["post"]["requestBody"]["content"]
    schema = {**body["application/json"]["schema"], "components": document["components"]}
    # Formats (uuid, date-time) are asserted too, as the models assert them.
    return OAS31Validator(schema, format_checker=oas31_format_checker)


def test_the_written_document_is_the_generated_one() -> None:
    written = json.loads(DOCUMENT.read_text())
    assert written == callbacks_openapi(), (
        "regenerate it: python -m workers.web.openapi > docs/callbacks.openapi.json"
    )


def test_the_document_is_valid_openapi_3_1_as_written_and_as_served() -> None:
    validate_openapi(json.loads(DOCUMENT.read_text()))
    validate_openapi(callbacks_openapi("https://grading.example/"))


def test_every_ref_resolves() -> None:
    document = callbacks_openapi()
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        node: Any = document
        for part in ref[2:].split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]


def test_every_status_of_the_error_table_is_documented() -> None:
    responses = callbacks_openapi()["paths"]["/v1/callbacks"]["post"]["responses"]
    assert {str(status) for _, status in STATUS_OF_ERROR} | {"200", "500"} == set(responses)


def test_a_200_answers_every_verdict_but_stale() -> None:
    schema = callbacks_openapi()["components"]["schemas"][Accepted.__name__]
    assert set(schema["properties"]["status"]["enum"]) == {
        verdict.value for verdict in Verdict if verdict is not Verdict.STALE
    }


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_example_is_taken_by_the_validators(kind: str) -> None:
    example: dict[str, Any] = EXAMPLES[kind]
    incoming_of(parse_grading_callback(example), Skill.WRITING)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_example_is_taken_by_the_documents_schema(kind: str) -> None:
    document = callbacks_openapi()
    body_validator(document).validate(EXAMPLES[kind])
    body_adapter().validate_python(EXAMPLES[kind])
    examples = document["paths"]["/v1/callbacks"]["post"]["requestBody"]["content"]
    assert examples["application/json"]["examples"][kind]["value"] == EXAMPLES[kind]


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("completed", ("data", "result", "overallScore"), 10.5),
        ("completed", ("data", "result", "confidence"), -1),
        ("review", ("data", "reviewerId"), "not-a-uuid"),
        ("error", ("data", "error", "retryable"), "yes"),
        ("progress", ("data", "progress"), 1.5),
        ("progress", ("eventId",), "not-a-uuid"),
        ("completed", ("occurredAt",), "2026-11-26T09:15:40"),
        ("review", ("kind",), "verdict"),
    ],
)
def test_a_field_the_validators_refuse_the_document_refuses(
    kind: str, path: tuple[str, ...], value: object
) -> None:
    # given an example with one field made invalid
    body = copy.deepcopy(EXAMPLES[kind])
    node = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    # then the models refuse it
    with pytest.raises(InvalidInput):
        incoming_of(parse_grading_callback(body), Skill.WRITING)
    # and so does the document
    assert list(body_validator(callbacks_openapi()).iter_errors(body))


def test_the_rules_that_no_type_says_are_in_the_fields_descriptions() -> None:
    schemas = callbacks_openapi()["components"]["schemas"]
    review = schemas["ReviewData"]["properties"]
    assert "instructor or admin" in review["reviewerId"]["description"]
    assert "one decimal" in review["overallScore"]["description"]
    assert "C1 >= 8.5, B2 >= 6.0, B1 >= 4.0" in review["band"]["description"]
    result = schemas["AiResultData"]["properties"]
    assert "multiple of 0.5" in result["overallScore"]["description"]
    assert "discourseManagement" in result["criteriaScores"]["description"]
    envelope = schemas["CompletedCallback"]["properties"]
    assert "deduplication key" in envelope["eventId"]["description"]
