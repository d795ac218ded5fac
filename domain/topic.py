"""How much of a prompt's topic a text takes up, and whether that can be told at all.

A prompt's topic words are its content words less the task's instructions (discuss, give
reasons ...), matched by word family (work, workers, working). A full prompt names enough
of them for a text that takes up none to be off the task. A short title ("Being busy",
"Individuality") does not: an essay on it may never repeat its one or two words, so a
text that misses them is not judged off-topic on that alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.confidence import Check
from domain.text_similarity import TASK_WORDS, stem
from domain.text_words import content_words_of

# A text on the task takes up at least this share of the prompt's topic words.
FULL_COVERAGE = 0.4
# Below this share of a full prompt's topic words a text is off the task.
OFF_TOPIC_COVERAGE = 0.15
# A prompt needs this many topic words before missing them says a text is off-topic.
MIN_TOPIC_WORDS = 4


@dataclass(frozen=True)
class Topic:
    wanted: int
    matched: int

    @property
    def coverage(self) -> float:
        return self.matched / self.wanted if self.wanted else 1.0

    @property
    def judged(self) -> bool:
        """Whether the prompt can tell: a full prompt, or a short one the text takes up."""
        return self.wanted >= MIN_TOPIC_WORDS or self.matched > 0

    @property
    def share(self) -> float:
        """How well the text takes up the prompt, 0..1 (1 where the prompt cannot tell)."""
        if not self.judged:
            return 1.0
        needed = max(1, round(FULL_COVERAGE * self.wanted))
        return min(1.0, self.matched / needed)

    @property
    def off_topic(self) -> bool:
        return self.wanted >= MIN_TOPIC_WORDS and self.coverage < OFF_TOPIC_COVERAGE

    def describe(self) -> str:
        if not self.judged:
            return (
                f"the prompt's {self.wanted} key word(s) are not used, too few to tell "
                "whether the text is on its topic"
            )
        return f"takes up {self.matched} of the prompt's {self.wanted} key words"


def topic_of(text_content: Iterable[str], prompt: str) -> Topic:
    """The prompt's topic words (by stem) and how many of them the text's content words use."""
    wanted = {
        stem(word) for word in content_words_of(prompt) if len(word) > 2 and word not in TASK_WORDS
    }
    have = {stem(word) for word in text_content}
    return Topic(len(wanted), len(wanted & have))


def covers_prompt_check(topic: Topic) -> Check:
    """The rule check "covers the prompt", with what it was judged from."""
    return Check(
        "coversPrompt",
        topic.share,
        {
            "coverage": round(topic.coverage, 3),
            "keyWords": topic.wanted,
            "judged": topic.judged,
        },
    )
