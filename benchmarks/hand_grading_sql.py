"""The statement texts of the floor (benchmarks/hand_grading.py), one per step of its flow.

Plain psycopg texts with ``%(name)s`` placeholders; ``hand_grading.numbered`` turns them
into asyncpg's ``$n`` form.
"""

LOCK_SUBMISSION = """
SELECT s.user_id, s.status::text, s.deadline, now(), q.format::text, q.content::text,
       q.answer_key::text, d.answer::text
FROM submissions s
JOIN questions q ON q.id = s.question_id
LEFT JOIN submission_details d ON d.submission_id = s.id
WHERE s.id = %(submission_id)s
FOR UPDATE OF s
"""

# Inserted, or else the existing row locked. Under a concurrent first insert both
# halves can come back empty (the other row is not in this statement's snapshot):
# LOCK_PROGRESS_AGAIN, a new statement, then sees it.
ENSURE_PROGRESS = """
WITH created AS (
    INSERT INTO user_progress (user_id, skill, current_level)
    VALUES (%(user_id)s, CAST(%(skill)s AS skill), CAST(%(level)s AS question_level))
    ON CONFLICT (user_id, skill) DO NOTHING
    RETURNING id, scaffold_level, streak_count, streak_direction::text, attempt_count
), existing AS (
    SELECT id, scaffold_level, streak_count, streak_direction::text, attempt_count
    FROM user_progress
    WHERE user_id = %(user_id)s AND skill = CAST(%(skill)s AS skill)
    FOR UPDATE
)
SELECT * FROM created UNION ALL SELECT * FROM existing
"""

LOCK_PROGRESS_AGAIN = """
SELECT id, scaffold_level, streak_count, streak_direction::text, attempt_count
FROM user_progress
WHERE user_id = %(user_id)s AND skill = CAST(%(skill)s AS skill)
FOR UPDATE
"""

# After the progress lock, so scores committed by whoever held it are seen. The goals'
# means rank the new score (not inserted yet) first, as ours ranks it once inserted.
RECENT_SCORES = """
SELECT
    ARRAY(
        SELECT score FROM user_skill_scores
        WHERE user_id = %(user_id)s AND skill = CAST(%(skill)s AS skill)
        ORDER BY created_at DESC, id DESC
        LIMIT %(previous)s
    ),
    CASE WHEN EXISTS (SELECT 1 FROM user_goals WHERE user_id = %(user_id)s) THEN ARRAY(
        SELECT skill::text || '=' || avg(score)::text
        FROM (
            SELECT skill, score,
                   row_number() OVER (PARTITION BY skill ORDER BY created_at DESC) AS n
            FROM (
                SELECT skill, score, created_at FROM user_skill_scores
                WHERE user_id = %(user_id)s
                UNION ALL
                SELECT CAST(%(skill)s AS skill), CAST(%(score)s AS numeric(3, 1)),
                       timestamptz 'infinity'
            ) AS scores
        ) AS ranked
        WHERE n <= %(window)s
        GROUP BY skill
    ) END
"""

# Every write in one statement. Each step is chained to the guarded UPDATE (and the
# progress and goals to the score row, as ours skips them when it was counted before).
# The events get distinct, increasing times: processing, then completed.
RECORD_RESULT = """
WITH done AS (
    UPDATE submissions
    SET status = 'completed',
        score = CAST(%(score)s AS numeric(3, 1)),
        band = CAST(%(band)s AS vstep_band),
        grading_mode = 'auto',
        audit_flag = false,
        review_priority = NULL,
        completed_at = now()
    WHERE id = %(submission_id)s AND status IN ('queued', 'retrying')
    RETURNING id, user_id, skill
), events AS (
    INSERT INTO submission_events (submission_id, kind, data, occurred_at)
    SELECT done.id, e.kind, CAST(e.data AS jsonb), t.at + e.n * interval '1 microsecond'
    FROM done,
         (SELECT clock_timestamp() AS at) AS t,
         (VALUES (0, 'processing', CAST(%(processing_event)s AS text)),
                 (1, 'completed', CAST(%(completed_event)s AS text))) AS e(n, kind, data)
), result AS (
    UPDATE submission_details SET result = CAST(CAST(%(result)s AS text) AS jsonb)
    WHERE submission_id = (SELECT id FROM done)
), scored AS (
    INSERT INTO user_skill_scores (user_id, skill, submission_id, score, created_at)
    SELECT user_id, skill, id, CAST(%(score)s AS numeric(3, 1)), clock_timestamp()
    FROM done
    ON CONFLICT (submission_id) DO NOTHING
    RETURNING user_id
), progress AS (
    UPDATE user_progress
    SET current_level = CAST(%(level)s AS question_level),
        scaffold_level = CAST(%(scaffold_level)s AS integer),
        streak_count = CAST(%(streak_count)s AS integer),
        streak_direction = CAST(%(streak_direction)s AS streak_direction),
        attempt_count = attempt_count + 1
    WHERE id = %(progress_id)s AND EXISTS (SELECT 1 FROM scored)
), goals AS (
    UPDATE user_goals SET current_estimated_band = CAST(%(estimated_band)s AS text)
    WHERE CAST(%(has_goal)s AS boolean) AND user_id = (SELECT user_id FROM scored)
)
SELECT count(*) FROM done
"""
