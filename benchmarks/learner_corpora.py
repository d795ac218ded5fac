"""The built-in grader against trained human raters, on real learners' essays and speech.

    .venv/bin/python -m benchmarks.learner_corpora [PATH] [--halves N] [--limit N]

PATH (default ../shared/data/learner-corpora/, where the development split is laid beside
a clone; never copied into the project) holds
ellipse_dev.csv (ELLIPSE: essays of English learners, grades 8-12, with raters' holistic
and analytic scores 1-5) and
jle_dev.csv (NICT JLE: transcripts of 15-minute oral interviews of Japanese learners,
with their SST level 1-9). The corpora are for measuring only: nothing here copies them,
and no test needs them. Without them the benchmark says so in one line and exits.

Each text is graded with ``grade_builtin`` as the worker grades it: an essay as writing
task 2 with the prompt's title as the prompt; a transcript as speaking part 3, 900
seconds long, with no prompt (an interview's tasks vary, so nothing is asked to be
covered). Beside every figure stands the same figure for the word-count baseline.

- Spearman and quadratic weighted kappa against the raters' overall score. Kappa needs
  one scale: the raters' scores go by rank onto five levels (fifths, ties kept
  together), and each ranking is laid onto the raters' levels by rank.
- Spearman of each criterion against the corpus's nearest analytic score.
- The share routed to review by priority (docs/scoring.md#confidence-and-routing, no
  spot checks drawn), and the kappa of the auto-completed texts against that of the
  routed ones.
- CPU per text and the slowest text. ``--halves N``: the headline figures on N random
  halves, to see how much they move with the texts drawn.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.agreement import matched_levels, quadratic_kappa, rater_levels, spearman
from domain.builtin_grader import grade_builtin
from domain.enums import QuestionFormat, SubmissionStatus
from domain.lexicon import warm_up
from domain.results import Action, AiResult, SubmissionState, decide
from domain.text_measures import measure
from domain.text_words import words_of

DEFAULT_PATH = Path("../shared/data/learner-corpora")
INTERVIEW_SECONDS = 900
# Each of our criteria beside the corpus's nearest analytic score.
WRITING_CRITERIA = {
    "taskFulfillment": "Overall",
    "organization": "Cohesion",
    "vocabulary": "Vocabulary",
    "grammar": "Grammar",
}
SPEAKING_CRITERIA = {
    name: "level" for name in ("fluency", "grammar", "vocabulary", "discourseManagement")
}


@dataclass
class Graded:
    """One text: the raters' scores, ours, and what grading it cost."""

    text_id: str
    words: int
    human: dict[str, float]
    score: float
    criteria: dict[str, float]
    route: str
    cpu: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Corpus:
    name: str
    rows: list[dict[str, str]]
    question_format: QuestionFormat
    content: Callable[[dict[str, str]], dict[str, Any]]
    answer: Callable[[dict[str, str]], dict[str, Any]]
    overall: str
    criteria: dict[str, str]
    analytic: tuple[str, ...]


def route_of(result: AiResult) -> str:
    request = uuid.uuid4()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    state = SubmissionState(SubmissionStatus.PROCESSING, request, now + timedelta(hours=1), None)
    decision = decide(state, result, request_id=request, now=now)
    if decision.action is Action.COMPLETE:
        return "audit" if decision.audit_flag else "auto"
    assert decision.review_priority is not None
    return decision.review_priority.value


def grade_all(corpus: Corpus) -> tuple[list[Graded], list[str]]:
    graded, raised = [], []
    for row in corpus.rows:
        started = time.process_time()
        try:
            result = grade_builtin(corpus.question_format, corpus.content(row), corpus.answer(row))
        except Exception as error:  # a text that raises is the finding: report it, go on
            raised.append(f"{row['id']}: {type(error).__name__}: {error}")
            continue
        cpu = time.process_time() - started
        text = row["text"]
        graded.append(
            Graded(
                text_id=row["id"],
                words=len(words_of(text)),
                human={key: float(row[key]) for key in corpus.analytic},
                score=float(result.overall_score or 0),
                criteria={
                    name: float(c["score"])
                    for name, c in result.criteria_scores.items()
                    if c["score"] is not None
                },
                route=route_of(result),
                cpu=cpu,
                extra={"misspelledPer100": measure(text).spelling_error_rate},
            )
        )
    return graded, raised


def kappa_of(items: Sequence[Graded], levels: dict[str, tuple[int, int, int]], which: int) -> float:
    return quadratic_kappa(
        [levels[g.text_id][0] for g in items], [levels[g.text_id][which] for g in items]
    )


def headline(graded: Sequence[Graded], overall: str) -> dict[str, float]:
    human = [g.human[overall] for g in graded]
    words = [float(g.words) for g in graded]
    ours = [g.score for g in graded]
    rater = rater_levels(human)
    return {
        "spearman": spearman(ours, human),
        "spearmanWords": spearman(words, human),
        "kappa": quadratic_kappa(rater, matched_levels(ours, rater)),
        "kappaWords": quadratic_kappa(rater, matched_levels(words, rater)),
        "routed": sum(g.route not in ("auto", "audit") for g in graded) / len(graded),
    }


def row(label: str, ours: float | str, words: float | str) -> None:
    cells = [f"{v:>7.3f}" if isinstance(v, float) else f"{v:>7}" for v in (ours, words)]
    print(f"{label:<40} {cells[0]} {cells[1]}")


def report(corpus: Corpus, graded: list[Graded], raised: list[str], halves: int) -> None:
    print(f"== {corpus.name}: {len(graded)} texts graded, {len(raised)} raised")
    for line in raised[:10]:
        print(f"   raised: {line}")
    if not graded:
        return
    figures = headline(graded, corpus.overall)
    row("", "ours", "words")
    row(f"Spearman, {corpus.overall}", figures["spearman"], figures["spearmanWords"])
    row("quadratic kappa, five levels", figures["kappa"], figures["kappaWords"])
    words = [float(g.words) for g in graded]
    for name, analytic in corpus.criteria.items():
        human = [g.human[analytic] for g in graded]
        mine = [g.criteria.get(name, 0.0) for g in graded]
        row(f"Spearman, {name} ~ {analytic}", spearman(mine, human), spearman(words, human))
    if "Conventions" in corpus.analytic:
        human = [g.human["Conventions"] for g in graded]
        spelling = [-g.extra["misspelledPer100"] for g in graded]
        row(
            "Spearman, -misspelled ~ Conventions", spearman(spelling, human), spearman(words, human)
        )
    routes = Counter(g.route for g in graded)
    shares = ", ".join(
        f"{name} {100 * routes[name] / len(graded):.0f}%"
        for name in ("auto", "audit", "medium", "high", "critical")
    )
    print(f"routing: {shares}; sent to review {100 * figures['routed']:.0f}%")
    rater = rater_levels([g.human[corpus.overall] for g in graded])
    levels = {
        g.text_id: (r, o, w)
        for g, r, o, w in zip(
            graded,
            rater,
            matched_levels([g.score for g in graded], rater),
            matched_levels(words, rater),
            strict=True,
        )
    }
    auto = [g for g in graded if g.route in ("auto", "audit")]
    routed = [g for g in graded if g.route not in ("auto", "audit")]
    for label, part in (("auto-completed", auto), ("routed to review", routed)):
        if part:
            row(
                f"kappa, {label} ({len(part)})",
                kappa_of(part, levels, 1),
                kappa_of(part, levels, 2),
            )
    cpu = [g.cpu for g in graded]
    slowest = max(graded, key=lambda g: g.cpu)
    print(
        f"CPU per text: mean {1000 * statistics.fmean(cpu):.2f} ms, median "
        f"{1000 * statistics.median(cpu):.2f} ms; slowest {slowest.text_id} "
        f"({slowest.words} words) {1000 * slowest.cpu:.1f} ms"
    )
    if halves:
        draws = random.Random(20260101)
        runs = [
            headline(draws.sample(graded, len(graded) // 2), corpus.overall) for _ in range(halves)
        ]
        for key in ("spearman", "spearmanWords", "routed"):
            values = sorted(run[key] for run in runs)
            middle = statistics.median(values)
            print(
                f"  {halves} random halves, {key}: min {values[0]:.3f}, "
                f"median {middle:.3f}, max {values[-1]:.3f}"
            )
    print()


def corpora(path: Path) -> list[Corpus]:
    def read(name: str) -> list[dict[str, str]]:
        with (path / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    return [
        Corpus(
            "writing: ELLIPSE essays, writing task 2",
            read("ellipse_dev.csv"),
            QuestionFormat.WRITING_TASK_2,
            lambda row: {"taskNumber": 2, "prompt": row["prompt"]},
            lambda row: {"text": row["text"]},
            "Overall",
            WRITING_CRITERIA,
            (
                "Overall",
                "Cohesion",
                "Syntax",
                "Vocabulary",
                "Phraseology",
                "Grammar",
                "Conventions",
            ),
        ),
        Corpus(
            "speaking: NICT JLE interviews, speaking part 3",
            read("jle_dev.csv"),
            QuestionFormat.SPEAKING_PART_3,
            lambda row: {"partNumber": 3, "prompt": ""},
            lambda row: {
                "audioUrl": "https://example.test/interview.mp3",
                "transcript": row["text"],
                "durationSeconds": INTERVIEW_SECONDS,
            },
            "level",
            SPEAKING_CRITERIA,
            ("level",),
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.learner_corpora",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--halves", type=int, default=0, help="random halves to measure on")
    parser.add_argument("--limit", type=int, default=0, help="grade only the first N texts of each")
    parser.add_argument("--only", choices=("writing", "speaking"), help="one corpus only")
    args = parser.parse_args(argv)
    needed = [args.path / name for name in ("ellipse_dev.csv", "jle_dev.csv")]
    if not all(file.is_file() for file in needed):
        print(f"learner corpora not found at {args.path}: nothing to measure")
        return 0
    warm_up()
    for corpus in corpora(args.path):
        if args.only and not corpus.name.startswith(args.only):
            continue
        if args.limit:
            corpus.rows = corpus.rows[: args.limit]
        graded, raised = grade_all(corpus)
        report(corpus, graded, raised, args.halves)
    return 0


if __name__ == "__main__":
    sys.exit(main())
