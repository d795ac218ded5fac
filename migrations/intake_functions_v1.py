"""The intake functions of migration 0007: the part every door writes through, and the two
versioned entry points (docs/producer-contract.md, docs/exam-contract.md).

``grading_intake_part`` is internal: single intake and exam intake both write each
submission through it, so a request is refused for the same reasons, under the same
names, whichever door it came through. ``where`` prefixes the field of a refusal (an
exam names the part), ``state`` is its SQLSTATE (VG001 single, VG004 exam).
"""

from __future__ import annotations

from migrations.exam_intake_function_v1 import EXAM

REPLAY = """
    -- The submission already under request_id when it is this request; request_conflict
    -- naming what differs when it is another; no row when there is none.
    CREATE FUNCTION grading_intake_replay(p_request_id uuid, p_user_id uuid,
                                          p_question_id uuid, p_answer jsonb,
                                          p_attempt integer)
    RETURNS TABLE(out_submission_id uuid, out_deadline timestamptz)
    LANGUAGE plpgsql STABLE AS $$
    DECLARE
        found_row record;
        differs text[];
    BEGIN
        SELECT s.id, s.user_id, s.question_id, s.attempt,
               -- A row written outside this contract may lack a deadline: due since its creation.
               coalesce(s.deadline, s.created_at) AS due,
               -- Compared as jsonb: key order and number spelling do not matter.
               d.answer IS NOT DISTINCT FROM p_answer AS same_answer
        INTO found_row
        FROM submissions s LEFT JOIN submission_details d ON d.submission_id = s.id
        WHERE s.request_id = p_request_id;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        differs := array_remove(ARRAY[
            CASE WHEN NOT found_row.same_answer THEN 'answer' END,
            CASE WHEN found_row.question_id <> p_question_id THEN 'question_id' END,
            CASE WHEN found_row.user_id <> p_user_id THEN 'user_id' END,
            CASE WHEN found_row.attempt <> p_attempt THEN 'attempt' END], NULL);
        IF cardinality(differs) > 0 THEN
            PERFORM grading_refuse('request_conflict', 'request_id',
                format('request_id %s is already used by submission %s with a different %s',
                       p_request_id, found_row.id, array_to_string(differs, ', ')), 'VG002');
        END IF;
        out_submission_id := found_row.id;
        out_deadline := found_row.due;
        RETURN NEXT;
    END;
    $$
"""

PART = """
    CREATE FUNCTION grading_intake_part(
        p_request_id uuid, p_user_id uuid, p_question_id uuid, p_answer jsonb,
        p_attempt integer, p_trace_id text, p_skill text,
        p_sla_listening interval, p_sla_reading interval, p_sla_writing interval,
        p_sla_speaking interval, p_max_bytes integer,
        p_blank_ok boolean, p_event jsonb, p_where text, p_state text,
        OUT out_submission_id uuid, OUT out_created boolean, OUT out_deadline timestamptz,
        OUT out_outbox_id uuid)
    LANGUAGE plpgsql AS $$
    DECLARE
        f record;
        refusal text[];
        sla interval;
        trace text;
    BEGIN
        IF p_request_id IS NULL OR p_user_id IS NULL OR p_question_id IS NULL THEN
            PERFORM grading_refuse('value_required', p_where || CASE
                WHEN p_request_id IS NULL THEN 'request_id'
                WHEN p_user_id IS NULL THEN 'user_id' ELSE 'question_id' END,
                'must be a UUID, got NULL', p_state);
        END IF;
        IF p_attempt IS NULL OR p_attempt < 1 THEN
            PERFORM grading_refuse('attempt_range', p_where || 'attempt',
                format('must be an integer >= 1, got %s',
                       coalesce(CAST(p_attempt AS text), 'NULL')), p_state);
        END IF;
        -- Everything intake checks against the database, in one statement: a submission
        -- already under the request id, the question, the learner.
        SELECT s.id IS NOT NULL AS replay, q.id IS NOT NULL AS q_found, q.skill,
               CAST(q.skill AS text) AS skill_name, CAST(q.format AS text) AS format,
               q.is_active, q.deleted_at AS q_deleted_at,
               u.id IS NOT NULL AS u_found, u.deleted_at AS u_deleted_at
        INTO f
        FROM (VALUES (1)) AS one (x)
        LEFT JOIN questions q ON q.id = p_question_id
        LEFT JOIN users u ON u.id = p_user_id
        LEFT JOIN submissions s ON s.request_id = p_request_id;
        -- A replay is answered from what was stored, before validation: a producer
        -- retrying an accepted request hears "accepted" even if the question was retired since.
        IF f.replay THEN
            SELECT r.out_submission_id, r.out_deadline INTO out_submission_id, out_deadline
            FROM grading_intake_replay(p_request_id, p_user_id, p_question_id, p_answer,
                                       p_attempt) r;
            out_created := false;
            RETURN;
        END IF;
        -- The first refusal that applies, in the documented order.
        refusal := CASE
            WHEN NOT f.q_found THEN ARRAY['question_unknown', 'question_id',
                format('unknown question %s', p_question_id)]
            WHEN f.q_deleted_at IS NOT NULL THEN ARRAY['question_deleted', 'question_id',
                format('question %s is deleted', p_question_id)]
            WHEN NOT f.is_active THEN ARRAY['question_inactive', 'question_id',
                format('question %s is inactive', p_question_id)]
            -- Every format name starts with its skill (writing_task_1, reading_mcq, ...);
            -- one filed under another skill would be graded by the wrong grader.
            WHEN split_part(f.format, '_', 1) <> f.skill_name THEN
                ARRAY['format_skill_mismatch', 'question_id',
                      format('question %s has format %s of skill %s but is filed under %s',
                             p_question_id, f.format, split_part(f.format, '_', 1),
                             f.skill_name)]
            WHEN NOT f.u_found THEN ARRAY['user_unknown', 'user_id',
                format('unknown user %s', p_user_id)]
            WHEN f.u_deleted_at IS NOT NULL THEN ARRAY['user_deleted', 'user_id',
                format('user %s is deleted', p_user_id)]
            WHEN p_skill IS NOT NULL AND p_skill <> f.skill_name THEN ARRAY['skill_mismatch',
                'skill', format('%s does not match the question''s skill %s', p_skill,
                                f.skill_name)]
            ELSE grading_answer_refusal(f.skill_name, p_answer, p_blank_ok, p_max_bytes)
        END;
        IF refusal IS NOT NULL THEN
            PERFORM grading_refuse(refusal[1], p_where || refusal[2], refusal[3], p_state);
        END IF;
        sla := CASE f.skill_name WHEN 'listening' THEN p_sla_listening
                                 WHEN 'reading' THEN p_sla_reading
                                 WHEN 'writing' THEN p_sla_writing
                                 ELSE p_sla_speaking END;
        IF sla IS NULL THEN
            PERFORM grading_refuse('sla_missing', p_where || 'skill',
                format('no SLA configured for %s', f.skill_name), p_state);
        END IF;
        trace := coalesce(nullif(p_trace_id, ''),
                          replace(CAST(gen_random_uuid() AS text), '-', ''));
        -- The four rows in one statement, keyed on the submission's insert. ON CONFLICT
        -- DO NOTHING: a concurrent producer's insert of the same request_id makes this
        -- one wait for its commit, then insert nothing at all.
        WITH submission AS (
            INSERT INTO submissions AS s
                (user_id, question_id, skill, status, attempt, request_id, deadline)
            VALUES (p_user_id, p_question_id, f.skill, 'pending', p_attempt, p_request_id,
                    now() + sla)
            ON CONFLICT (request_id) DO NOTHING
            RETURNING s.id, s.deadline
        ),
        detail AS (
            INSERT INTO submission_details (submission_id, answer)
            SELECT n.id, p_answer FROM submission n
        ),
        event AS (
            INSERT INTO submission_events (submission_id, kind, data, occurred_at)
            SELECT n.id, 'submitted',
                   jsonb_build_object('requestId', p_request_id, 'attempt', p_attempt,
                                      'traceId', trace, 'questionId', p_question_id)
                       || coalesce(p_event, '{}'),
                   clock_timestamp()
            FROM submission n
        ),
        outbox_row AS (
            INSERT INTO outbox AS o
                (submission_id, aggregate_type, aggregate_id, message_type, payload)
            SELECT n.id, 'submission', n.id, 'grading.request',
                   grading_request_payload_of(p_request_id, n.id, p_user_id, f.skill_name,
                                              p_attempt, n.deadline, trace, NULL)
            FROM submission n
            RETURNING o.id
        )
        SELECT n.id, n.deadline, w.id INTO out_submission_id, out_deadline, out_outbox_id
        FROM submission n CROSS JOIN outbox_row w;
        IF out_submission_id IS NULL THEN
            SELECT r.out_submission_id, r.out_deadline INTO out_submission_id, out_deadline
            FROM grading_intake_replay(p_request_id, p_user_id, p_question_id, p_answer,
                                       p_attempt) r;
            IF NOT FOUND THEN  -- the winner is invisible to a REPEATABLE READ snapshot
                RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
                    MESSAGE = format('request_id %s was submitted concurrently; retry',
                                     p_request_id);
            END IF;
            out_created := false;
            RETURN;
        END IF;
        out_created := true;
    END;
    $$
"""

SINGLE = """
    CREATE FUNCTION grading_intake_v1(
        request_id uuid, user_id uuid, question_id uuid, answer jsonb,
        attempt integer DEFAULT 1, trace_id text DEFAULT NULL, skill text DEFAULT NULL,
        sla_listening interval DEFAULT interval '5 minutes',
        sla_reading interval DEFAULT interval '5 minutes',
        sla_writing interval DEFAULT interval '20 minutes',
        sla_speaking interval DEFAULT interval '60 minutes',
        answer_max_bytes integer DEFAULT 262144)
    RETURNS TABLE(submission_id uuid, created boolean, deadline timestamptz, outbox_id uuid)
    LANGUAGE plpgsql AS $$
    BEGIN
        -- plpgsql rather than sql: its plan is kept for the session, not made on every call.
        RETURN QUERY
            SELECT p.out_submission_id, p.out_created, p.out_deadline, p.out_outbox_id
            FROM grading_intake_part($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                                     false, NULL, '', 'VG001') AS p;
    END;
    $$
"""

INTAKE_FUNCTIONS = (REPLAY, PART, SINGLE, EXAM)
