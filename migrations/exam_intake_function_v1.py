"""grading_exam_intake_v1 of migration 0007: a whole exam session, every part written
through grading_intake_part (migrations/intake_functions_v1.py), as a single request is."""

from __future__ import annotations

EXAM = """
    CREATE FUNCTION grading_exam_intake_v1(
        session_id uuid, trace_id text DEFAULT NULL,
        sla_listening interval DEFAULT interval '5 minutes',
        sla_reading interval DEFAULT interval '5 minutes',
        sla_writing interval DEFAULT interval '20 minutes',
        sla_speaking interval DEFAULT interval '60 minutes',
        answer_max_bytes integer DEFAULT 262144)
    RETURNS TABLE(submission_id uuid, question_id uuid, skill text, created boolean)
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    DECLARE
        sess record;
        part_skill text;
        ids jsonb;
        item record;
        qid uuid;
        seen uuid[] := '{}';
        made uuid[] := '{}';
        filed text;
        stored jsonb;
        blank boolean;
        answer jsonb;
        part record;
        trace text;
    BEGIN
        SELECT CAST(es.status AS text) AS status, es.user_id, es.deleted_at, e.blueprint
        INTO sess
        FROM exam_sessions es JOIN exams e ON e.id = es.exam_id
        WHERE es.id = $1
        FOR UPDATE OF es;
        IF NOT FOUND OR sess.deleted_at IS NOT NULL THEN
            PERFORM grading_refuse('session_unknown', 'session_id',
                format('no exam session %s', $1), 'VG003');
        END IF;
        IF sess.status = 'in_progress' THEN
            IF jsonb_typeof(sess.blueprint) IS DISTINCT FROM 'object' THEN
                PERFORM grading_refuse('blueprint_shape', 'blueprint',
                    'must be an object of skills', 'VG004');
            END IF;
            FOREACH part_skill IN ARRAY ARRAY['listening', 'reading', 'writing', 'speaking'] LOOP
                ids := sess.blueprint -> part_skill -> 'questionIds';
                IF jsonb_typeof(ids) IS DISTINCT FROM 'array' OR jsonb_array_length(ids) = 0 THEN
                    PERFORM grading_refuse('blueprint_skill_missing',
                        format('blueprint.%s.questionIds', part_skill),
                        'must be a non-empty list', 'VG004');
                END IF;
                FOR item IN SELECT x.value, x.n - 1 AS i
                            FROM jsonb_array_elements(ids) WITH ORDINALITY AS x(value, n) LOOP
                    IF jsonb_typeof(item.value) <> 'string' OR item.value #>> '{}'
                       !~* '^[{]?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}[}]?$' THEN
                        PERFORM grading_refuse('blueprint_question_id',
                            format('blueprint.%s.questionIds[%s]', part_skill, item.i),
                            CASE WHEN jsonb_typeof(item.value) = 'string'
                                 THEN quote_literal(item.value #>> '{}')
                                 ELSE CAST(item.value AS text) END || ' is not a question id',
                            'VG004');
                    END IF;
                END LOOP;
            END LOOP;
            trace := coalesce(nullif($2, ''), replace(CAST(gen_random_uuid() AS text), '-', ''));
            FOREACH part_skill IN ARRAY ARRAY['listening', 'reading', 'writing', 'speaking'] LOOP
                FOR qid IN SELECT CAST(x.value AS uuid)
                           FROM jsonb_array_elements_text(sess.blueprint -> part_skill
                                                          -> 'questionIds')
                                WITH ORDINALITY AS x(value, n) ORDER BY x.n LOOP
                    -- A question listed twice is one part.
                    CONTINUE WHEN qid = ANY(seen);
                    seen := seen || qid;
                    filed := (SELECT CAST(q.skill AS text) FROM questions q WHERE q.id = qid);
                    IF filed <> part_skill THEN
                        PERFORM grading_refuse('blueprint_skill_mismatch',
                            format('blueprint.%s.questionIds[%s]', part_skill, qid),
                            format('is a %s question', filed), 'VG004');
                    END IF;
                    stored := (SELECT a.answer FROM exam_answers a
                               WHERE a.session_id = $1 AND a.question_id = qid);
                    blank := grading_answer_blank(part_skill, stored);
                    answer := CASE WHEN blank THEN grading_empty_answer(part_skill) ELSE stored END;
                    -- The request id of a part is the same on every submission of the session.
                    SELECT * INTO part FROM grading_intake_part(
                        CAST(md5(CAST($1 AS text) || ':' || CAST(qid AS text)) AS uuid),
                        sess.user_id, qid, answer, 1, trace, part_skill, $3, $4, $5, $6, $7,
                        blank, jsonb_build_object('examSessionId', $1, 'unanswered', blank),
                        format('exam_answers[%s].', qid), 'VG004');
                    IF part.out_created THEN
                        INSERT INTO exam_submissions (session_id, submission_id, skill)
                        SELECT $1, s.id, s.skill FROM submissions s
                        WHERE s.id = part.out_submission_id;
                        made := made || part.out_submission_id;
                    END IF;
                    IF blank THEN
                        -- The question left unanswered is answered with nothing, so every
                        -- part has its row.
                        INSERT INTO exam_answers (session_id, question_id, answer)
                        VALUES ($1, qid, answer)
                        ON CONFLICT (session_id, question_id) DO NOTHING;
                    END IF;
                END LOOP;
            END LOOP;
            UPDATE exam_sessions es SET status = 'submitted', updated_at = now() WHERE es.id = $1;
        ELSIF sess.status <> 'submitted' THEN
            PERFORM grading_refuse('session_not_in_progress', 'session',
                format('%s is %s: only an in_progress one is submitted', $1, sess.status),
                'VG004');
        END IF;
        RETURN QUERY
            SELECT x.submission_id, s.question_id, CAST(x.skill AS text),
                   x.submission_id = ANY(made)
            FROM exam_submissions x JOIN submissions s ON s.id = x.submission_id
            WHERE x.session_id = $1
            ORDER BY x.created_at, x.submission_id;
    END;
    $$
"""
