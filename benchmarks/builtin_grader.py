"""How long the built-in grader takes per answer, against objective grading in the same run.

    .venv/bin/python -m benchmarks.builtin_grader [--repeats 200]

No database and no broker: ``domain.builtin_grader.grade_builtin`` on every text of
devtools/demo_texts.py (essays, letters, transcripts), each graded ``--repeats`` times,
and, as the baseline, ``domain.objective.grade_objective`` on a 40-item reading answer
(what a worker computes for an objective submission). The first call, which loads the
word lists, is timed on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from devtools import demo_texts as texts
from domain.builtin_grader import grade_builtin
from domain.enums import QuestionFormat
from domain.lexicon import syllables, word_level
from domain.objective import grade_objective

F = QuestionFormat
READING_ITEMS = 40


def timed(call: Callable[[], Any], repeats: int, *, cold: bool = False) -> float:
    """Median seconds of one call over ``repeats`` calls; ``cold``: each with the word
    level cache emptied first, as for a text of words never seen before."""
    samples = []
    for _ in range(repeats):
        if cold:
            word_level.cache_clear()
            syllables.cache_clear()
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def cases() -> list[tuple[str, int, Callable[[], Any]]]:
    """(name, words, call) for every demo text."""
    found: list[tuple[str, int, Callable[[], Any]]] = []
    for label, text in [*texts.ESSAY_LADDER, ("off-topic", texts.ESSAY_OFF_TOPIC)]:
        essay = partial(grade_builtin, F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": text})
        found.append((f"essay, {label}", len(text.split()), essay))
    for label, text in texts.LETTER_LADDER:
        letter = partial(grade_builtin, F.WRITING_TASK_1, texts.WRITING_TASK_1, {"text": text})
        found.append((f"letter, {label}", len(text.split()), letter))
    for label, text, seconds in texts.SPEAKING_LADDER:
        answer: dict[str, Any] = {
            "audioUrl": "https://example.test/a.mp3",
            "transcript": text,
            "durationSeconds": seconds,
        }
        talk = partial(grade_builtin, F.SPEAKING_PART_3, texts.SPEAKING_PART_3, answer)
        found.append((f"speaking, {label}", len(text.split()), talk))
    return found


def objective_call() -> Callable[[], Any]:
    items = [
        {"number": n, "prompt": f"Question {n}", "options": dict.fromkeys("ABCD", "x")}
        for n in range(1, READING_ITEMS + 1)
    ]
    content = {"passage": "A passage.", "items": items}
    key = {"correctAnswers": {str(n): "ABCD"[n % 4] for n in range(1, READING_ITEMS + 1)}}
    answer = {"answers": {str(n): "ABCD"[(n * 7) % 4] for n in range(1, READING_ITEMS + 1)}}
    return lambda: grade_objective(F.READING_MCQ, content, key, answer)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.builtin_grader", description=__doc__
    )
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be positive")
    load = os.getloadavg()
    started = time.perf_counter()
    grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": "A first text."})
    first = time.perf_counter() - started
    baseline = timed(objective_call(), args.repeats)
    print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.2f}' for x in load)}")
    print(f"first call (loads the word lists): {first * 1000:.0f} ms")
    print(
        f"baseline: objective grading of a {READING_ITEMS}-item reading answer, "
        f"{baseline * 1e6:.0f} us (median of {args.repeats})"
    )
    print()
    print("median per answer; cold: every word looked up afresh; warm: words seen before")
    print(f"{'text':<22} {'words':>5} {'cold':>10} {'warm':>10} {'warm vs baseline':>17}")
    for name, words, call in cases():
        cold = timed(call, args.repeats, cold=True)
        warm = timed(call, args.repeats)
        print(
            f"{name:<22} {words:>5} {cold * 1e3:>7.2f} ms {warm * 1e3:>7.2f} ms "
            f"{warm / baseline:>16.1f}x"
        )


if __name__ == "__main__":
    main()
