"""Intake in the database: grading_intake_v1 and grading_exam_intake_v1 (docs/producer-contract.md).

Every door (the Python API, exam intake, producers in other languages) calls these
functions, so the rules of intake are written once: what a blank answer is, the shape of
an answer per format, the refusals and their names, the grading.request payload.

A refusal is raised with our own SQLSTATE (class VG), its name as the CONSTRAINT field,
the field it concerns as the COLUMN field, the reason as DETAIL and ``field: reason`` as
the one-line message; db/errors.py translates them by SQLSTATE:
  VG001 a request refused (InvalidInput), VG002 request_id taken by another request
  (IntakeConflict), VG003 unknown exam session (NotFound), VG004 an exam refused
  (ExamRefused). A replay is not a refusal: it returns created = false.

The functions are versioned (``_v1``): a change of arguments or meaning is a new function
beside the old one, so producers deployed against v1 keep working. The shared tables are
not touched.

Revision ID: 0007_intake_functions
Revises: 0006_console
"""

from __future__ import annotations

from typing import Any

from alembic import op

# The internal function every door goes through, and the two versioned ones.
from migrations.intake_functions_v1 import INTAKE_FUNCTIONS

revision: str = "0007_intake_functions"
down_revision: str | None = "0006_console"

FUNCTIONS = (
    """
    CREATE FUNCTION grading_refuse(refusal text, field text, reason text,
                                   state text DEFAULT 'VG001') RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = field || ': ' || reason,
            DETAIL = reason, CONSTRAINT = refusal, COLUMN = field;
    END;
    $$
    """,
    # The characters of the E'' literal: white space as Python's str.isspace() sees it, and
    # the zero-width ones of domain/answers.py _INVISIBLE (a unit test compares).
    r"""
    CREATE FUNCTION grading_text_blank(value jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT value IS NULL OR jsonb_typeof(value) = 'null'
            OR (jsonb_typeof(value) = 'string'
                AND translate(value #>> '{}', E' \t\n\r\f\u000b\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff', '') = '')
    $$
    """,  # noqa: E501
    """
    -- THE definition of an answer that says nothing (domain/answers.is_empty_answer
    -- mirrors it for the worker): refused by single intake where the format needs a
    -- visible answer, graded as unanswered in an exam.
    CREATE FUNCTION grading_answer_blank(skill text, answer jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN answer IS NULL OR jsonb_typeof(answer) = 'null' THEN true
            WHEN jsonb_typeof(answer) <> 'object' THEN skill IN ('writing', 'speaking')
            WHEN skill IN ('listening', 'reading') THEN answer -> 'answers' = '{}'::jsonb
            WHEN skill = 'writing' THEN grading_text_blank(answer -> 'text')
            ELSE grading_text_blank(answer -> 'audioUrl')
                 AND grading_text_blank(answer -> 'transcript')
        END IS TRUE
    $$
    """,
    """
    -- What an exam part left unanswered is graded as.
    CREATE FUNCTION grading_empty_answer(skill text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE skill
            WHEN 'writing' THEN '{"text": ""}'::jsonb
            WHEN 'speaking' THEN '{"audioUrl": "", "durationSeconds": 0, "transcript": ""}'::jsonb
            ELSE '{"answers": {}}'::jsonb
        END
    $$
    """,
    """
    -- Why an answer cannot be graded as (refusal, field, reason); NULL when it can.
    CREATE FUNCTION grading_answer_refusal(skill text, answer jsonb, blank_ok boolean,
                                           max_bytes integer) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE
        shape CONSTANT text := 'must be an object mapping item numbers to strings';
        item record;
        walk record;
        text_form text;
    BEGIN
        IF jsonb_typeof(answer) IS DISTINCT FROM 'object' THEN
            RETURN ARRAY['answer_shape', 'answer', 'must be an object'];
        END IF;
        IF NOT blank_ok AND skill IN ('writing', 'speaking')
           AND grading_answer_blank(skill, answer) THEN
            RETURN ARRAY['answer_blank',
                         CASE skill WHEN 'writing' THEN 'answer.text' ELSE 'answer.audioUrl' END,
                         'must be a non-empty string'];
        END IF;
        IF skill IN ('listening', 'reading') THEN
            IF jsonb_typeof(answer -> 'answers') IS DISTINCT FROM 'object' THEN
                RETURN ARRAY['answer_shape', 'answer.answers', shape];
            END IF;
            FOR item IN SELECT key, value FROM jsonb_each(answer -> 'answers') LOOP
                IF item.key !~ '^[0-9]+$' THEN
                    RETURN ARRAY['answer_shape', 'answer.answers',
                                 shape || '; ' || quote_literal(item.key) || ' is not one'];
                END IF;
                IF jsonb_typeof(item.value) <> 'string' THEN
                    RETURN ARRAY['answer_shape', 'answer.answers.' || item.key,
                                 'must be a string'];
                END IF;
            END LOOP;
        ELSIF skill = 'writing' THEN
            IF jsonb_typeof(answer -> 'text') IS DISTINCT FROM 'string' THEN
                RETURN ARRAY['answer_shape', 'answer.text', 'must be a non-empty string'];
            END IF;
        ELSE
            IF jsonb_typeof(answer -> 'audioUrl') IS DISTINCT FROM 'string' THEN
                RETURN ARRAY['answer_shape', 'answer.audioUrl', 'must be a non-empty string'];
            END IF;
            IF NOT blank_ok AND grading_text_blank(answer -> 'audioUrl') THEN
                RETURN ARRAY['answer_blank', 'answer.audioUrl', 'must be a non-empty string'];
            END IF;
            IF NOT (CASE WHEN jsonb_typeof(answer -> 'durationSeconds') = 'number'
                         THEN CAST(answer -> 'durationSeconds' AS numeric) >= 0 ELSE false END) THEN
                RETURN ARRAY['answer_shape', 'answer.durationSeconds', 'must be a number >= 0'];
            END IF;
            IF coalesce(jsonb_typeof(answer -> 'transcript'), 'null') NOT IN ('string', 'null')
            THEN
                RETURN ARRAY['answer_shape', 'answer.transcript', 'must be a string when present'];
            END IF;
        END IF;
        -- jsonb's text is never shorter than the compact encoding, and spells a number
        -- beyond a double's range with over 308 digits (a regex counts to 255 at most, so
        -- 200 + 109): only then is the walk needed.
        text_form := CAST(answer AS text);
        IF octet_length(text_form) <= max_bytes AND text_form !~ '[0-9]{200}[0-9]{109}' THEN
            RETURN NULL;
        END IF;
        -- Size as the compact JSON encoding counts it: jsonb's text puts a space after
        -- every ':' and ',' of its objects and arrays.
        SELECT octet_length(text_form) - coalesce(sum(CASE jsonb_typeof(v)
                   WHEN 'object'
                       THEN greatest(2 * (SELECT count(*) FROM jsonb_object_keys(v)) - 1, 0)
                   WHEN 'array' THEN greatest(jsonb_array_length(v) - 1, 0)
                   ELSE 0 END), 0) AS bytes,
               coalesce(bool_or(CASE WHEN jsonb_typeof(v) = 'number'
                                     THEN abs(CAST(v AS numeric)) > 1.7976931348623157e308
                                     ELSE false END), false)
                   AS huge
        INTO walk
        FROM jsonb_path_query(answer, 'strict $.**') AS v;
        IF walk.huge THEN
            RETURN ARRAY['answer_number', 'answer', 'holds a number too large to store'];
        END IF;
        IF walk.bytes > max_bytes THEN
            RETURN ARRAY['answer_too_large', 'answer',
                         format('is %s bytes of JSON, over the limit of %s',
                                walk.bytes, max_bytes)];
        END IF;
        RETURN NULL;
    END;
    $$
    """,
    """
    -- THE grading.request payload (docs/grading-request.schema.json), from its values:
    -- the one builder, which intake and grading_request_payload below use.
    CREATE FUNCTION grading_request_payload_of(request_id uuid, submission_id uuid,
                                               user_id uuid, skill text, attempt integer,
                                               deadline timestamptz, trace_id text,
                                               not_before timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT jsonb_strip_nulls(jsonb_build_object(
            'requestId', $1, 'submissionId', $2, 'userId', $3, 'skill', $4, 'attempt', $5,
            'deadline', to_char($6 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'traceId', nullif($7, ''),
            'notBefore', to_char($8 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))
    $$
    """,
    """
    -- The payload as the submission row has it now (a redispatch, a retry), with the trace
    -- id intake gave it. A row written outside the contract may lack a deadline or a
    -- request id: its creation time and its own id stand in.
    CREATE FUNCTION grading_request_payload(submission_id uuid, trace_id text DEFAULT NULL,
                                            not_before timestamptz DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
        RETURN (
            SELECT grading_request_payload_of(
                coalesce(s.request_id, s.id), s.id, s.user_id, CAST(s.skill AS text),
                greatest(s.attempt, 1), coalesce(s.deadline, s.created_at),
                coalesce(nullif($2, ''), (
                    SELECT e.data ->> 'traceId' FROM submission_events e
                    WHERE e.submission_id = s.id AND e.kind = 'submitted'
                    ORDER BY e.occurred_at LIMIT 1)),
                $3)
            FROM submissions s WHERE s.id = $1);
    END;
    $$
    """,
)

DROPS = (
    "DROP FUNCTION grading_exam_intake_v1(uuid, text, interval, interval, interval, interval, "
    "integer)",
    "DROP FUNCTION grading_intake_v1(uuid, uuid, uuid, jsonb, integer, text, text, interval, "
    "interval, interval, interval, integer)",
    "DROP FUNCTION grading_intake_part(uuid, uuid, uuid, jsonb, integer, text, text, interval, "
    "interval, interval, interval, integer, boolean, jsonb, text, text)",
    "DROP FUNCTION grading_intake_replay(uuid, uuid, uuid, jsonb, integer)",
    "DROP FUNCTION grading_request_payload(uuid, text, timestamptz)",
    "DROP FUNCTION grading_request_payload_of(uuid, uuid, uuid, text, integer, timestamptz, "
    "text, timestamptz)",
    "DROP FUNCTION grading_answer_refusal(text, jsonb, boolean, integer)",
    "DROP FUNCTION grading_empty_answer(text)",
    "DROP FUNCTION grading_answer_blank(text, jsonb)",
    "DROP FUNCTION grading_text_blank(jsonb)",
    "DROP FUNCTION grading_refuse(text, text, text, text)",
)


def upgrade() -> None:
    for statement in (*FUNCTIONS, *INTAKE_FUNCTIONS):
        _run(statement)


def downgrade() -> None:
    for statement in DROPS:
        _run(statement)


def _run(statement: str) -> None:
    """Straight to psycopg, without parameters: the bodies hold ':' and '%s' that
    text() or a parameter list would read as placeholders."""
    driver: Any = op.get_bind().connection.driver_connection
    driver.execute(statement)
