-- One million submissions with their events, details, recent outbox rows, exams and audit
-- rows, written straight into a migrated database for benchmarks/console.py. :'n' is the
-- number of submissions (psql variables are not used: the script substitutes {n}).
CREATE TEMP TABLE bench_learners AS
SELECT id, (row_number() OVER (ORDER BY id)) - 1 AS n FROM users WHERE role = 'learner';
CREATE TEMP TABLE bench_questions AS
SELECT id, skill, (row_number() OVER (ORDER BY id)) - 1 AS n FROM questions;

CREATE TEMP TABLE bench_subs AS
SELECT g,
       gen_random_uuid() AS id,
       now() - ({n} - g) * interval '2.6 seconds' AS created_at,
       CASE WHEN g % 1000 < 930 THEN 'completed'
            WHEN g % 1000 < 960 THEN 'review_pending'
            WHEN g % 1000 < 966 THEN 'failed'
            WHEN g % 1000 < 970 THEN 'queued'
            ELSE 'completed' END AS status,
       g % (SELECT count(*) FROM bench_learners) AS learner,
       g % (SELECT count(*) FROM bench_questions) AS question
FROM generate_series(1, {n}) AS g;

INSERT INTO submissions (id, user_id, question_id, skill, status, score, band, confidence,
                         request_id, review_priority, grading_mode, deadline, created_at,
                         updated_at, completed_at)
SELECT s.id, l.id, q.id, q.skill, s.status::submission_status,
       CASE WHEN s.status IN ('completed', 'review_pending') THEN (s.g % 21) / 2.0 END,
       CASE WHEN s.status = 'completed' AND s.g % 21 >= 12 THEN 'B2'::vstep_band END,
       CASE WHEN q.skill IN ('writing', 'speaking') THEN 40 + s.g % 60 END,
       gen_random_uuid(),
       CASE WHEN s.status = 'review_pending'
            THEN (ARRAY['low', 'medium', 'high', 'critical'])[1 + s.g % 4]::review_priority END,
       CASE WHEN s.status = 'completed' THEN 'auto'::grading_mode END,
       s.created_at + interval '20 minutes', s.created_at, s.created_at,
       CASE WHEN s.status = 'completed' THEN s.created_at + (2 + s.g % 50) * interval '1 second' END
FROM bench_subs s
JOIN bench_learners l ON l.n = s.learner
JOIN bench_questions q ON q.n = s.question;

INSERT INTO submission_details (submission_id, answer, result, created_at, updated_at)
SELECT s.id,
       jsonb_build_object('text', 'An answer of learner ' || s.g || ' to the question.'),
       CASE WHEN s.status IN ('completed', 'review_pending')
            THEN jsonb_build_object('overallScore', (s.g % 21) / 2.0, 'confidence', 40 + s.g % 60,
                                    'criteriaScores', jsonb_build_object('grammar',
                                        jsonb_build_object('score', 5, 'comment', 'fair')))
       END,
       s.created_at, s.created_at
FROM bench_subs s;

INSERT INTO submission_events (submission_id, kind, occurred_at, data)
SELECT s.id, e.kind, s.created_at + e.at * interval '1 second', e.data
FROM bench_subs s
CROSS JOIN LATERAL (VALUES
    ('submitted', 0, NULL::jsonb),
    ('queued', 1, NULL),
    ('processing', 2, NULL),
    (CASE s.status WHEN 'completed' THEN 'completed' WHEN 'review_pending' THEN 'review_requested'
                   WHEN 'failed' THEN 'failed' ELSE 'redispatched' END,
     3,
     CASE WHEN s.status = 'failed'
          THEN jsonb_build_object('failureReason', (ARRAY['TIMEOUT', 'BAD_INPUT', 'STALLED'])[1 + s.g % 3],
                                  'lastError', 'error ' || (s.g % 7))
     END)
) AS e(kind, at, data);

-- The outbox keeps published rows for the retention days (7 of the 30 seeded).
INSERT INTO outbox (submission_id, aggregate_type, aggregate_id, message_type, payload, status,
                    attempts, published_at, created_at, error_message)
SELECT s.id, 'submission', s.id, 'grading.request', jsonb_build_object('submissionId', s.id),
       CASE WHEN s.status = 'failed' AND s.g % 3 = 1 THEN 'failed'::outbox_status
            ELSE 'published'::outbox_status END,
       1, s.created_at + interval '10 milliseconds', s.created_at,
       CASE WHEN s.status = 'failed' AND s.g % 3 = 1 THEN 'no route' END
FROM bench_subs s
WHERE s.created_at > now() - interval '7 days';

INSERT INTO exams (level, blueprint) VALUES ('B2', '{"durationMinutes": 172}');
INSERT INTO exam_sessions (user_id, exam_id, status, listening_score, reading_score,
                           writing_score, speaking_score, overall_score, started_at, completed_at)
SELECT l.id, (SELECT id FROM exams LIMIT 1), 'completed', 6, 6.5, 5.5, 6, 6,
       now() - g * interval '10 minutes', now() - g * interval '10 minutes' + interval '3 hours'
FROM generate_series(1, 5000) AS g JOIN bench_learners l ON l.n = g % 1000;
INSERT INTO exam_submissions (session_id, submission_id, skill)
SELECT x.id, s.id, 'writing'
FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM exam_sessions) x
JOIN bench_subs b ON b.g BETWEEN x.r * 4 AND x.r * 4 + 3
JOIN submissions s ON s.id = b.id;

INSERT INTO console_audit (actor_email, action, target, outcome, created_at)
SELECT 'operator@bench.example', 'submission.retry',
       jsonb_build_object('submissionIds', jsonb_build_array(gen_random_uuid())), 'done',
       now() - g * interval '1 minute'
FROM generate_series(1, 20000) AS g;

ANALYZE;
