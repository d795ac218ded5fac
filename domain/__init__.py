"""Pure grading rules: scoring, states, answers, messages. No I/O here."""
