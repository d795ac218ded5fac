"""Errors in a learner's English that plain patterns find for sure: a finder of many, not of all.

Accuracy (errors per 100 words) is among the strongest signs of a learner's level in the
research on learner language, and what a learner can act on: every error found is named
with the words that show it. Each rule looks at a word and its neighbours only, and fires
where the pattern is wrong English whatever the context (``he want``, ``can to``,
``didn't went``, ``more easier``), so a correct text meets almost none of them. The
word lists below were written for this module from English grammar, not from any corpus.

Written texts also keep the conventions a transcript cannot show: capitals, spacing
round punctuation, sentence boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated list, for the word lists written in the code."""
    return frozenset(words.split())


# Common verbs in their base form; their -s and -ed forms follow English spelling rules.
BASE_VERBS = word_set(
    "accept achieve add agree allow answer appear apply ask attend avoid become begin "
    "believe belong bring build buy call care carry catch cause change choose clean come "
    "complete consider continue create decide depend describe destroy develop die do "
    "drink drive eat enjoy explain fail feel fight find finish focus follow forget get "
    "give go grow happen hate have hear help hope improve include increase keep know "
    "learn leave like listen live look lose love make mean meet miss move need offer open "
    "pass pay plan play practice prefer prepare prevent produce provide reach realize "
    "receive remember require seem sell send show sleep solve speak spend start stay stop "
    "study succeed suggest support take talk teach tell think travel try turn understand "
    "use wait walk want watch wear win wish work worry write"
)
# Past forms that are never a base form or a noun a learner puts after "to" or a modal.
IRREGULAR_PAST = word_set(
    "went came gave took ate wrote knew did began brought bought chose drove flew grew "
    "spoke stole swam threw understood woke taught thought told sang drank forgot became"
)
MODALS = word_set("can could will would shall should must may might")
_THIRD_SINGULAR = word_set(
    "he she it everyone everybody someone somebody nobody anyone anybody everything "
    "something nothing"
)
_NON_THIRD = word_set("i you we they")
PLURAL_NOUNS = word_set(
    "people children students parents teenagers families friends men women kids teachers "
    "adults workers employees"
)
# After these, "it" is an object and a base verb is right (let it go, make it work).
_CAUSATIVES = word_set("let lets make makes made help helps have has had see watch")
_DO_FORMS = word_set("do does did don't doesn't didn't")
_COMPARATIVES = word_set(
    "better worse best worst easier harder bigger smaller faster slower smarter happier "
    "healthier cheaper larger longer stronger safer simpler busier older younger higher "
    "lower greater easiest hardest biggest"
)
_UNCOUNTABLE_PLURALS = word_set(
    "informations advices homeworks knowledges furnitures equipments feedbacks stuffs "
    "softwares evidences luggages"
)
_NEGATIONS = word_set("not never don't doesn't didn't can't won't isn't wasn't aren't")
_NEGATIVE_OBJECTS = frozenset(("nothing", "nobody", "nowhere", "none"))
_ITS_BEFORE = word_set("a an the not very so really important hard easy good bad because")
_NOT_AFTER_THEIR = word_set("is are was were not will would should can going have has")
_BE_FORMS = word_set("be is are was were been being")
# Verbs that are neither nouns, adjectives nor past participles in their base form:
# after a form of "be" they are wrong (could be find, is make).
NEVER_AFTER_BE = word_set(
    "achieve allow avoid believe bring buy choose consider create decide describe destroy "
    "develop eat enjoy explain find forget give go grow have improve include keep know learn "
    "leave lose make prefer prepare prevent produce provide receive remember require see "
    "sell send solve speak spend take teach tell think understand write"
)
# Verbs followed by "to" and a verb: what follows is its base form.
_TO_VERB = word_set("want wants wanted need needs needed able going try tries tried order")
# Words spelled with a leading vowel letter that sound like a consonant, and the reverse.
_AN_EXCEPTIONS = ("uni", "use", "usu", "eu", "one", "once", "ur")
_A_EXCEPTIONS = ("hour", "honest", "honour", "honor", "heir")
# Doubled words that are good English.
_FINE_TWICE = frozenset(("that", "had", "very", "so", "bye", "ha", "no"))
HESITATIONS = word_set("um umm ummm uh uhh uhm er err erm ehm ah ahh hm hmm hmmm mm mmm eh")
RUN_ON_WORDS = 45
_NO_SPACE_AFTER = re.compile(r"[a-z][,;:!?][A-Za-z]|[a-z]{2}\.[A-Z][a-z]")
_SPACE_BEFORE = re.compile(r"\w\s+[,;:!?]|\w\s+\.(?!\.)")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class GrammarIssue:
    rule: str
    example: str


def _third(verb: str) -> str:
    if verb in ("have", "do", "go"):
        return {"have": "has", "do": "does", "go": "goes"}[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _regular_past(verb: str) -> str:
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _past_form(word: str) -> bool:
    return word in IRREGULAR_PAST or word in REGULAR_PAST


THIRD_FORMS = frozenset(_third(verb) for verb in BASE_VERBS)
REGULAR_PAST = frozenset(_regular_past(verb) for verb in BASE_VERBS)
_NOT_AFTER_MODAL = THIRD_FORMS | IRREGULAR_PAST | {"is", "are", "was", "were", "has"}


def _pair_rule(before: Sequence[str], first: str, second: str) -> str | None:
    """The rule ``first second`` breaks (``before``: the two words before them), or None."""
    if first in _THIRD_SINGULAR and (
        second in {"have", "do", "are", "were", "don't"}
        or (
            second in BASE_VERBS
            and not (first == "it" and before[-1] in _CAUSATIVES)
            # something like, it like that: a preposition there
            and not (first not in ("he", "she") and second == "like")
        )
    ):
        return "subject-verb agreement"
    if first in _NON_THIRD and (
        second in {"has", "does", "doesn't"}
        or second in THIRD_FORMS
        # "you" is also an object: the best thing for you is ...
        or (second == "is" and first != "you")
    ):
        return "subject-verb agreement"
    if first in {"we", "they", "you"} and second == "was":
        return "subject-verb agreement"
    if (
        first in PLURAL_NOUNS
        and second in {"is", "was", "has", "does", "doesn't"}
        # one of my friends is ...
        and "of" not in before
    ):
        return "subject-verb agreement"
    if first in MODALS:
        if second == "to":
            return "modal verb followed by 'to'"
        if second.endswith("ing") and len(second) > 5:
            return "modal verb followed by -ing"
        if second in _NOT_AFTER_MODAL:
            return "modal verb followed by a changed verb form"
    if first in _DO_FORMS and (second in THIRD_FORMS or second in IRREGULAR_PAST):
        return "do / did followed by a changed verb form"
    if first == "to" and second in IRREGULAR_PAST:
        return "'to' followed by a past form"
    if first in {"more", "most"} and second in _COMPARATIVES:
        return "double comparative"
    if first in _COMPARATIVES and second == "then":
        return "'then' for 'than'"
    if first in {"could", "should", "would", "must", "might"} and second == "of":
        return "'of' for 'have'"
    if first == "their" and second in _NOT_AFTER_THEIR:
        return "'their' for 'there' or 'they're'"
    if first in _BE_FORMS and second in NEVER_AFTER_BE:
        return "base verb after 'be'"
    if first == "a" and second in PLURAL_NOUNS:
        return "'a' with a plural"
    if first == "its" and second in _ITS_BEFORE:
        return "'its' for 'it's'"
    if first == "a" and second[:1] in set("aeiou") and not second.startswith(_AN_EXCEPTIONS):
        return "'a' before a vowel sound"
    if first == "an" and second[:1] not in set("aeiou") and not second.startswith(_A_EXCEPTIONS):
        return "'an' before a consonant sound"
    if first == "much" and second in PLURAL_NOUNS:
        return "'much' with a plural"
    return None


def word_errors(lower: Sequence[str], *, spoken: bool) -> list[GrammarIssue]:
    """Errors in the words' order and forms, found from each word and its neighbours."""
    issues: list[GrammarIssue] = []
    padded = ["", "", *lower]
    for index, (first, second) in enumerate(pairwise(lower)):
        before = padded[index : index + 2]
        rule = _pair_rule(before, first, second)
        if rule is None and first in MODALS | _DO_FORMS and second == "not":
            # can not went, did not had: the verb after the negation
            third = lower[index + 2] if index + 2 < len(lower) else ""
            if third in (_NOT_AFTER_MODAL if first in MODALS else THIRD_FORMS | IRREGULAR_PAST):
                rule = "changed verb form after a negation"
                second = f"not {third}"
        if rule is None and first == "to" and before[-1] in _TO_VERB and _past_form(second):
            # want to went, able to achieved
            rule = "'to' followed by a past form"
        if rule is None and first in _NEGATIONS:
            ahead = lower[index + 1 : index + 4]
            if _NEGATIVE_OBJECTS & set(ahead):
                rule = "double negative"
                second = " ".join(ahead)
        if (
            rule is None
            and not spoken
            and first == second
            and first not in HESITATIONS
            and first not in _FINE_TWICE
        ):
            rule = "repeated word"
        if rule is not None:
            issues.append(GrammarIssue(rule, f"{first} {second}"))
    issues.extend(
        GrammarIssue("uncountable noun made plural", word)
        for word in lower
        if word in _UNCOUNTABLE_PLURALS
    )
    return issues


def convention_errors(text: str, sentences: Sequence[str]) -> list[GrammarIssue]:
    """Capitals, spacing round punctuation and sentence boundaries: a written text's conventions."""
    issues = [GrammarIssue("lower-case 'I'", "i") for word in _WORD.findall(text) if word == "i"]
    for sentence in sentences:
        if sentence[0].islower():
            issues.append(GrammarIssue("sentence starts in lower case", clip(sentence)))
        if len(_WORD.findall(sentence)) > RUN_ON_WORDS:
            issues.append(GrammarIssue("run-on sentence", clip(sentence)))
    issues.extend(
        GrammarIssue("no space after a punctuation mark", match.group())
        for match in _NO_SPACE_AFTER.finditer(text)
    )
    issues.extend(
        GrammarIssue("space before a punctuation mark", match.group())
        for match in _SPACE_BEFORE.finditer(text)
    )
    return _habits_counted(issues)


# A slip of convention repeated all through a text (a space before every comma, "i" for
# "I") is one habit to fix, not an error in the language each time: raters weigh it as
# such, and counting it every time would sink an otherwise fluent text.
CONVENTION_REPEATS = 3


def _habits_counted(issues: Sequence[GrammarIssue]) -> list[GrammarIssue]:
    """The issues with each convention counted at most CONVENTION_REPEATS times."""
    seen: dict[str, int] = {}
    kept = []
    for issue in issues:
        seen[issue.rule] = seen.get(issue.rule, 0) + 1
        if seen[issue.rule] <= CONVENTION_REPEATS:
            kept.append(issue)
    return kept


def clip(sentence: str, words: int = 6) -> str:
    parts = sentence.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")
