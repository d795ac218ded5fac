"""The callbacks' OpenAPI document: one source for the served and the written copy, and
examples the real validators take."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.callbacks import incoming_of
from domain.enums import Skill
from domain.messages import parse_grading_callback
from workers.web.errors import STATUS_OF_ERROR
from workers.web.openapi import EXAMPLES, callbacks_openapi

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "callbacks.openapi.json"


def test_the_written_document_is_the_generated_one() -> None:
    written = json.loads(DOCUMENT.read_text())
    assert written == callbacks_openapi(), (
        "regenerate it: python -m workers.web.openapi > docs/callbacks.openapi.json"
    )


def test_every_status_of_the_error_table_is_documented() -> None:
    responses = callbacks_openapi()["paths"]["/v1/callbacks"]["post"]["responses"]
    assert {str(status) for _, status in STATUS_OF_ERROR} | {"200", "500"} == set(responses)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_example_is_taken_by_the_validators(kind: str) -> None:
    example: dict[str, Any] = EXAMPLES[kind]
    incoming_of(parse_grading_callback(example), Skill.WRITING)
