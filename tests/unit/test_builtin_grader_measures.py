"""What the built-in grader's measures find, and how its confidence treats normal essays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from devtools import demo_texts as texts
from domain.builtin_grader import grade_builtin
from domain.confidence import RULE_VALIDATION
from domain.enums import QuestionFormat, SubmissionStatus
from domain.language_errors import CONVENTION_REPEATS, word_errors
from domain.phrase_errors import phrase_errors
from domain.results import Action, AiResult, SubmissionState, decide
from domain.speaking_grader import mean_run
from domain.text_measures import measure

F = QuestionFormat


def action_of(result: AiResult) -> Action:
    request = uuid.uuid4()
    now = datetime(2026, 11, 30, tzinfo=UTC)
    state = SubmissionState(SubmissionStatus.PROCESSING, request, now + timedelta(hours=1), None)
    return decide(state, result, request_id=request, now=now).action


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("He want a new phone", "subject-verb agreement"),
        ("The people is happy", "subject-verb agreement"),
        ("Students can to learn more", "modal verb followed by 'to'"),
        ("He didn't went to school", "do / did followed by a changed verb form"),
        ("It could be find online", "base verb after 'be'"),
        ("They want to went home", "'to' followed by a past form"),
        ("It is more easier for them", "double comparative"),
        ("It is bigger then the old one", "'then' for 'than'"),
        ("We should of known", "'of' for 'have'"),
        ("I don't know nothing about it", "double negative"),
        ("Their is no reason", "'their' for 'there' or 'they're'"),
        ("She gave me some advices", "uncountable noun made plural"),
        ("It was a important day", "'a' before a vowel sound"),
    ],
)
def test_each_error_pattern_names_what_it_found(sentence: str, rule: str) -> None:
    lower = [word.lower() for word in sentence.split()]
    assert rule in {issue.rule for issue in word_errors(lower, spoken=False)}


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("I like the my school", "two determiners together"),
        ("Every students has a phone", "'every' / 'each' with a plural"),
        ("This people work hard", "'this' with a plural"),
        ("There are many reason for it", "a plural word with a singular noun"),
        ("I think so because is important", "missing subject (because it is)"),
        ("They no have time", "'no' for 'not' / 'don't'"),
        ("They use the computer for find information", "'for' before a verb (use 'to')"),
        ("You will be choose your classes", "base verb after 'be'"),
        ("They might be can help", "'be' before a modal verb"),
        ("I am agree with that", "'be' with agree (I agree)"),
        ("We should been there", "'have' missing before 'been'"),
        ("It helps us to makes friends", "'to' followed by an -s form"),
        (
            "Every day they doing their homework",
            "missing 'be' before an -ing form (they are doing)",
        ),
        ("Technology has be developed", "'be' for 'been' after have"),
        ("In the school there have many classes", "'there have' for 'there are'"),
        ("This are simple things", "'this' / 'these' not agreeing with the verb"),
        ("We help others students", "'others' before a noun (other people)"),
    ],
)
def test_each_phrase_pattern_names_what_it_found(sentence: str, rule: str) -> None:
    lower = [word.lower() for word in sentence.split()]
    assert [issue.rule for issue in phrase_errors(lower)] == [rule]


def test_a_convention_slip_repeated_all_through_counts_as_a_habit() -> None:
    # given a space typed before every one of ten commas
    text = " , ".join(["we read"] * 11) + "."
    spaces = [
        i for i in measure(text).grammar_issues if i.rule == "space before a punctuation mark"
    ]
    assert len(spaces) == CONVENTION_REPEATS


def test_correct_sentences_meet_no_error_pattern() -> None:
    correct = (
        "Although the number of students is rising, one of my friends is happy. Let it go, "
        "and make it work. The best thing for you is to read. Something like that could "
        "have been done, and they have decided to leave it there. She wants an hour. Every "
        "day I got an A for these reasons. They said no to that, because it is free and "
        "the class is open for all. It will be fun to be like them. There have been others "
        "who were bringing something to the morning class, and they are doing well."
    )
    m = measure(correct)
    assert m.grammar_issues == ()
    # less common structures counted: although, been done
    assert "although" in m.structures


def test_a_long_run_between_hesitations_is_measured() -> None:
    assert mean_run(["um", "i", "like", "it", "uh", "very", "much", "um"]) == pytest.approx(2.5)
    assert mean_run([]) == 0


def test_an_essay_on_a_short_title_is_not_taken_for_an_off_topic_one() -> None:
    # given a title of two words the essay never repeats (it speaks of volunteering)
    content = {"taskNumber": 2, "prompt": "Teen chores"}
    result = grade_builtin(F.WRITING_TASK_2, content, {"text": texts.ESSAY_LADDER[0][1]})
    assert result.confidence_factors is not None
    basis = result.confidence_factors[RULE_VALIDATION]["basis"]["coversPrompt"]
    assert basis["judged"] is False and basis["ok"] is True
    assert not any("does not address" in c["comment"] for c in result.criteria_scores.values())
    assert action_of(result) is Action.COMPLETE


def test_an_essay_that_lost_its_line_breaks_still_completes_on_its_own() -> None:
    flat = " ".join(texts.ESSAY_LADDER[0][1].split())
    result = grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": flat})
    assert action_of(result) is Action.COMPLETE


def test_an_essay_a_little_short_is_scored_short_but_not_doubted() -> None:
    words = texts.ESSAY_LADDER[0][1].split()
    short = " ".join(words[: int(len(words) * 0.85)]) + "."
    result = grade_builtin(
        F.WRITING_TASK_2, {"taskNumber": 2, "prompt": "Community service"}, {"text": short}
    )
    assert result.confidence_factors is not None
    assert result.confidence_factors[RULE_VALIDATION]["basis"]["wordCount"]["ok"] is True


def test_a_well_planned_essay_of_broken_sentences_is_capped_by_its_language() -> None:
    # given an essay with every linking word and paragraph, in broken English
    broken = (
        "Firstly, i think community service are good. he want help people and they was happy. "
        "Moreover, students can to learn alot of thing, they doesnt waste there time.\n\n"
        "However, some people dont want do it. it could be take time and students is busy. "
        "For example my freind didnt went to school because he have to work.\n\n"
        "On the other hand, it help teenagers. they learns many thing and they becomes better. "
        "Therefore, service make them more happier and more stronger person.\n\n"
        "In conclusion, i believe it should be a choise, because every one have a life."
    )
    result = grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": broken})
    organization = result.criteria_scores["organization"]
    assert "Capped" in organization["comment"] and "ideas come across" in organization["comment"]
    language = (
        result.criteria_scores["vocabulary"]["score"] + result.criteria_scores["grammar"]["score"]
    ) / 2
    assert organization["score"] <= language + 2


def test_a_wider_range_of_words_earns_more_vocabulary_at_the_same_length() -> None:
    # given two essays of the same length, one drawing on a handful of words
    varied = texts.ESSAY_LADDER[0][1]
    words = varied.split()
    narrow = " ".join(
        ["Community service is good for students and good for people."] * (len(words) // 10)
    )
    assert abs(len(narrow.split()) - len(words)) < 10
    # when graded / then the varied one has the wider range and the higher vocabulary score,
    # and the comment counts the different words
    wide_result, narrow_result = essay_result(varied), essay_result(narrow)
    assert measure(varied).lexical_range > 2 * measure(narrow).lexical_range
    wide, thin = (
        wide_result.criteria_scores["vocabulary"],
        narrow_result.criteria_scores["vocabulary"],
    )
    assert wide["score"] > thin["score"]
    assert (
        f"{len(set(w.lower() for w in measure(narrow).words))} different words" in thin["comment"]
    )
    assert narrow_result.feedback is not None
    assert any("narrow range of words" in w for w in narrow_result.feedback["weaknesses"])


def essay_result(text: str) -> AiResult:
    return grade_builtin(F.WRITING_TASK_2, texts.WRITING_TASK_2, {"text": text})
