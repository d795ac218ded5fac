"""More errors plain patterns find for sure: determiners, number, a missing subject, 'no' for 'not'.

These complete domain/language_errors.py with the errors learners' essays show most often
beyond agreement and verb forms (the error types of learner-corpus error taxonomies:
determiner, noun number, missing subject, verb form after a preposition). As there, each
rule looks at a word and its neighbours and fires only where the words are wrong English
whatever the context (``the my``, ``every students``, ``because is``, ``for find``,
``they no have``). The word lists were written for this module from English grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from domain.language_errors import (
    BASE_VERBS,
    MODALS,
    NEVER_AFTER_BE,
    PLURAL_NOUNS,
    THIRD_FORMS,
    GrammarIssue,
    word_set,
)

_ARTICLES = word_set("a an the")
# After an article: a second determiner is never right (the my friend, a the).
_DETERMINERS = word_set("a an the my your his her our their its this these those")
_SUBJECTS = word_set("i you he she it we they people")
# What a learner puts after "no" for "not" / "don't": no can, they no have.
_AFTER_NO_FOR_NOT = word_set(
    "can is are was were have has had want like need know go do understand think"
)
# Conjunctions before which "is" has lost its subject: because is, if is important.
_OPEN_BEFORE_IS = word_set("because if although though")
# Base verbs that also stand as adjectives or bare nouns after "be" (be open, be fun).
_BE_AND_FINE = word_set("complete open clean like live mean work love help practice")
_SINGULAR_NOUNS = word_set(
    "person student thing kid child parent teacher friend day year way class problem reason"
)
_PLURAL_AFTER_EVERY = PLURAL_NOUNS | word_set("things days years reasons problems")
_PERSONAL = word_set("i he she we they")


# Subjects after which an -ing form needs its "be" (they doing, I going).
_PROGRESSIVE_SUBJECTS = word_set("i he she we they")
# Words in -ing that are not verb forms.
_NOT_PROGRESSIVE = word_set(
    "bring brings thing things nothing something anything everything morning evening "
    "during spring string swing sting king ring sing"
)


def _progressive(word: str) -> bool:
    return len(word) > 4 and word not in _NOT_PROGRESSIVE


def _rule(before: Sequence[str], first: str, second: str, third: str = "") -> str | None:
    # the the is a repeated word; "an A" is a grade
    if first in _ARTICLES and second in _DETERMINERS - {first, "a"}:
        return "two determiners together"
    if first in {"every", "each"} and second in _PLURAL_AFTER_EVERY:
        return "'every' / 'each' with a plural"
    if first == "this" and second in PLURAL_NOUNS:
        return "'this' with a plural"
    if first in {"many", "several", "these", "those", "both", "few"} and second in _SINGULAR_NOUNS:
        return "a plural word with a singular noun"
    if first in _OPEN_BEFORE_IS and second in {"is", "was"}:
        return "missing subject (because it is)"
    if first == "no" and before[-1] in _SUBJECTS and second in _AFTER_NO_FOR_NOT:
        return "'no' for 'not' / 'don't'"
    if first == "for" and second in NEVER_AFTER_BE:
        return "'for' before a verb (use 'to')"
    if first == "be" and second in BASE_VERBS - _BE_AND_FINE:
        return "base verb after 'be'"
    if first in {"be", "is", "are", "am"} and second in MODALS:
        return "'be' before a modal verb"
    if first in {"am", "is", "are"} and second in {"agree", "disagree"}:
        return "'be' with agree (I agree)"
    if first in MODALS and second == "been":
        return "'have' missing before 'been'"
    if first == "to" and second in _THIRD_OF_VERBS_ONLY:
        return "'to' followed by an -s form"
    if first in _PROGRESSIVE_SUBJECTS and second.endswith("ing") and _progressive(second):
        return "missing 'be' before an -ing form (they are doing)"
    if first in {"has", "have", "had"} and second == "be":
        return "'be' for 'been' after have"
    if first == "there" and second in {"have", "has"} and third not in {"been", "to", "got"}:
        return "'there have' for 'there are'"
    if (first == "this" and second in {"are", "were"}) or (
        first in {"these", "those"} and second in {"is", "was", "has"}
    ):
        return "'this' / 'these' not agreeing with the verb"
    if first == "others" and second in PLURAL_NOUNS | _PLURAL_AFTER_EVERY:
        return "'others' before a noun (other people)"
    if before[-1] == "because" and first == "of" and second in _PERSONAL:
        return "'because of' before a clause"
    return None


_THIRD_OF_VERBS_ONLY = frozenset(word for word in THIRD_FORMS if word[:-1] in NEVER_AFTER_BE) | {
    "gives",
    "makes",
    "takes",
    "goes",
    "does",
}


def phrase_errors(lower: Sequence[str]) -> list[GrammarIssue]:
    """Determiner, number, missing-subject and verb-form errors, from each word and the next."""
    issues: list[GrammarIssue] = []
    padded = ["", "", *lower]
    for index, (first, second) in enumerate(pairwise(lower)):
        third = lower[index + 2] if index + 2 < len(lower) else ""
        rule = _rule(padded[index : index + 2], first, second, third)
        if rule is not None:
            issues.append(GrammarIssue(rule, f"{first} {second}"))
    return issues
