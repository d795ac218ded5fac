"""Writing and speaking questions for the demo and the tests, with answers of known quality.

Every text here was written for this project. Each ladder runs from the best answer to
the worst, so a grader's scores can be checked for order (rank correlation); the
off-topic, prompt-copy and template-copy answers are the ones a grader must send to a
person.
"""

# ruff: noqa: E501  (prose: paragraphs stay on one line, as a learner types them)
from __future__ import annotations

import random
from typing import Any

from domain.enums import QuestionFormat

ESSAY_PROMPT = (
    "Some people think that young people should be required to do unpaid community "
    "service in their free time. Others believe it should be their own choice. Discuss "
    "both views and give your own opinion."
)
ESSAY_MODEL = """Many people argue about whether teenagers should be obliged to do voluntary work for their community. In this essay I will look at both sides before giving my own view.

On the one hand, compulsory community service teaches young people responsibility. When students help in hospitals, clean parks or support elderly neighbours, they learn that society depends on everyone. Moreover, such work gives them practical skills which schools rarely teach.

On the other hand, forcing people to volunteer may destroy the very spirit of volunteering. Teenagers already have heavy workloads, and unpaid work that is imposed on them could feel like punishment rather than generosity.

In conclusion, I believe that schools should encourage community service strongly but leave the final decision to young people themselves."""

WRITING_TASK_2: dict[str, Any] = {
    "taskNumber": 2,
    "prompt": ESSAY_PROMPT,
    "instructions": "Write an essay of at least 250 words.",
    "minWords": 250,
    "scaffolding": {
        "keywords": ["community service", "young people", "unpaid", "free time", "choice"],
        "modelEssay": ESSAY_MODEL,
    },
}

LETTER_TEMPLATE = """Dear ___,

I am writing to complain about the ___ which I bought from your shop on ___. Unfortunately, when I got home I found that ___.

I would be grateful if you could ___ as soon as possible.

Yours faithfully,
___"""

WRITING_TASK_1: dict[str, Any] = {
    "taskNumber": 1,
    "prompt": (
        "You bought a laptop from an online shop last week, but it arrived damaged. Write "
        "an email to the shop manager. Describe the problem, explain how it affects you "
        "and say what you want the shop to do."
    ),
    "minWords": 120,
    "scaffolding": {
        "template": LETTER_TEMPLATE,
        "keywords": ["laptop", "damaged", "shop", "refund", "replacement"],
    },
}

# Best first. Each: (label, text).
ESSAY_LADDER: list[tuple[str, str]] = [
    (
        "excellent",
        """Whether young people should be obliged to carry out unpaid community service in their free time is a controversial question. While some argue that compulsory volunteering builds character, others insist that it must remain a personal choice. This essay will discuss both views before explaining why I favour a balanced approach.

Supporters of compulsory service claim that it cultivates civic responsibility. When teenagers tutor younger children, assist in care homes or restore neighbourhood parks, they experience directly how communities function. Furthermore, such work develops valuable skills, including teamwork, communication and problem-solving, which are increasingly demanded by employers. Consequently, a requirement could benefit both society and the individual. A student who spends a few hours each month supporting a local charity, for example, may discover a vocation and gain a sense of belonging that lasts for life.

However, opponents emphasise that genuine volunteering depends on willingness. If service is imposed, many students may regard it as a burden and participate reluctantly, which undermines its purpose. In addition, young people today already face considerable academic pressure, and some must take paid jobs to support their families. For these students, an obligation to work without payment would be unfair.

In my opinion, the most sensible solution is to encourage rather than compel. Schools could offer credits, certificates or flexible schedules to students who volunteer, thereby making service attractive without removing personal freedom. Nevertheless, institutions should ensure that opportunities are accessible to everyone, regardless of background.

In conclusion, although compulsory community service has clear advantages, I believe that the decision should ultimately belong to young people themselves, supported by incentives that recognise their contribution.""",
    ),
    (
        "good",
        """Nowadays, many people discuss if young people should do unpaid community service in their free time or if it should be their own choice. Both opinions have good points, and I will discuss them in this essay.

Firstly, some people think community service should be required. They say that it helps young people to understand their community and to become responsible citizens. For example, when students clean the beach or help old people, they learn to care about others. Also, they can get useful experience for their future jobs.

On the other hand, other people believe that it should be a free choice. Young people are very busy with school and homework, and they need free time to relax. If they are forced to work without money, they may feel unhappy and they will not do the work well. Moreover, some teenagers have part-time jobs because their families need money.

In my opinion, community service is a good thing, but it should not be compulsory. I think schools should give students information about volunteering and encourage them to join. Then the students who really want to help can do it with a good attitude. For example, my school has a volunteer club, and many students join it every year because they enjoy helping their neighbours and making new friends.

To sum up, there are advantages and disadvantages of making community service compulsory. However, I believe that young people should decide for themselves, because voluntary work is more meaningful when it is really voluntary.""",
    ),
    (
        "fair",
        """Some people think young people must do community service without money. Other people think it is their choice. I will talk about this.

In one hand, community service is good for young people. They can help other people and learn many thing. For example they can clean the park or help in hospital. It make them more responsible and they know more people. But some young people is very busy with study and they dont have free time. If they must work for free they will be tired and angry. Also some family is poor and the children need to work for money.

I think young people should choose. If they want to help they can do it, if they dont want they can study or relax. The school can tell them about community service. In conclusion it is their choice.""",
    ),
    (
        "poor",
        """i think young people dont need do community service. they is busy and they want play with friend and study. work free is not good because they need money. some people say it good for them but i not agree. my opinion it is they choice and nobody can force they do the work free in free time, it is not fair for young people.""",
    ),
    (
        "very short",
        """community service is good and bad. young people is busy. i think it is they choice.""",
    ),
]

ESSAY_OFF_TOPIC = """Tourism has become one of the largest industries in the world, and many countries depend on it for their economic growth. This essay will examine the benefits and drawbacks of mass tourism for local residents.

To begin with, tourism creates employment. Hotels, restaurants and transport companies hire thousands of workers, and local craftsmen can sell their products to visitors from abroad. Furthermore, governments collect taxes which can be invested in roads, hospitals and airports.

Nevertheless, mass tourism also causes serious problems. Popular destinations suffer from overcrowding, rising housing prices and pollution. Historic monuments are damaged by millions of visitors, and traditional cultures are sometimes turned into cheap entertainment for foreigners.

Moreover, the profits do not always remain in the region. International hotel chains often send their earnings back to their headquarters, while local people receive only low wages for seasonal work.

In conclusion, I believe that tourism brings valuable opportunities, but governments must regulate it carefully so that local communities, rather than foreign corporations, enjoy the benefits of this growing industry."""

ESSAY_PROMPT_COPY = ESSAY_PROMPT

LETTER_LADDER: list[tuple[str, str]] = [
    (
        "good",
        """Dear Sir or Madam,

I am writing to complain about a laptop which I ordered from your online shop last week. Unfortunately, when the parcel arrived on Monday, the screen was cracked and the keyboard was damaged, so I cannot switch the computer on.

This problem affects me seriously because I am a university student and I need the laptop for my assignments, which are due next week. At the moment I have to borrow a computer from a friend, which is very inconvenient.

I would be grateful if you could send me a replacement as soon as possible. If that is not possible, I would like a full refund, including the delivery cost. I have attached a photo of the damage and a copy of my receipt.

I look forward to hearing from you soon.

Yours faithfully,
Nguyen Van An""",
    ),
    (
        "poor",
        """Dear manager, i buy laptop in your shop last week but it is broken when it come. the screen is broken. i need it for study so i very angry. please you give me new laptop or money back. thank you""",
    ),
]

LETTER_TEMPLATE_COPY = """Dear ___,

I am writing to complain about the laptop which I bought from your shop on Monday. Unfortunately, when I got home I found that it was damaged.

I would be grateful if you could help as soon as possible.

Yours faithfully,
An"""

SPEAKING_PART_3: dict[str, Any] = {
    "partNumber": 3,
    "prompt": "Technology has changed the way people communicate. Talk about how technology affects relationships between family members.",
    "followUpQuestions": ["Do older people use technology as much as young people?"],
    "speakingSeconds": 120,
}

SPEAKING_PART_2: dict[str, Any] = {
    "partNumber": 2,
    "prompt": "Your class is planning a weekend trip. Which is the best place to go: the mountains, the beach or a historic city?",
    "options": ["mountains", "beach", "historic city"],
    "speakingSeconds": 90,
}

# Best first. Each: (label, transcript, durationSeconds), answering SPEAKING_PART_3.
SPEAKING_LADDER: list[tuple[str, str, int]] = [
    (
        "excellent",
        "Well, I believe technology has changed family relationships in both positive and negative ways. On the one hand, messaging applications and video calls allow relatives who live far apart to communicate every day, which was impossible for my grandparents' generation. For instance, my uncle works abroad, yet we see his face every weekend. On the other hand, technology can also create distance within the same house. Family members often sit together while everyone looks at a separate screen, so genuine conversation becomes rare. Moreover, parents sometimes find it difficult to understand the online world of their children, which leads to misunderstandings. Therefore, I think families should agree on some rules, for example no phones during dinner, so that technology supports relationships instead of replacing them. As for older people, although many of them were reluctant at first, they are increasingly comfortable with smartphones, especially when it helps them keep in touch with their grandchildren.",
        110,
    ),
    (
        "good",
        "I think technology changes the relationship in family a lot. First, it is easier to talk with family members who live far away, because we can use video call and messages. For example my sister studies in another city and we call her every night. But technology also has bad effects. When my family have dinner, sometimes everyone uses their phone and nobody talks. I think this is not good for the relationship. Also, old people maybe do not understand technology very well, so sometimes they feel lonely. In my opinion families should spend time together without phones, for example at the weekend.",
        100,
    ),
    (
        "fair",
        "Um, technology, er, it change the family. Now people use phone a lot and, um, they don't talk. My family, um, we use phone in dinner and my mother is angry. But, er, phone is good because I can call my grandmother. She live in countryside. Um, I think, er, it is good and bad.",
        75,
    ),
    (
        "poor",
        "Um, er, technology, um, is, er, good. Um, phone, er, phone, er, family, um, talk. Er, I, I don't know. Um, it is, er, good.",
        60,
    ),
]


def demo_texts_questions() -> dict[str, tuple[QuestionFormat, dict[str, Any]]]:
    """Format and content of each demo writing and speaking question, by a short name."""
    return {
        "essay": (QuestionFormat.WRITING_TASK_2, WRITING_TASK_2),
        "letter": (QuestionFormat.WRITING_TASK_1, WRITING_TASK_1),
        "talk": (QuestionFormat.SPEAKING_PART_3, SPEAKING_PART_3),
    }


def demo_text_answer(rng: random.Random, name: str, ability: float) -> dict[str, Any]:
    """An answer to the demo question ``name`` by a learner of this ability (0..1).

    The better the learner, the higher up the ladder the text comes from; now and then a
    learner hands in an off-topic essay, copies the prompt or the template, or records
    without a transcript, so every route of the confidence table shows in the demo.
    """
    slip = rng.random()
    if name == "essay":
        if slip < 0.06:
            return {"text": ESSAY_OFF_TOPIC}
        if slip < 0.10:
            return {"text": ESSAY_PROMPT_COPY}
        return {"text": _rung(rng, [text for _, text in ESSAY_LADDER], ability)}
    if name == "letter":
        if slip < 0.08:
            return {"text": LETTER_TEMPLATE_COPY}
        return {"text": _rung(rng, [text for _, text in LETTER_LADDER], ability)}
    audio = f"https://cdn.demo.vstep.example/answers/{rng.randrange(10**9)}.mp3"
    if slip < 0.08:
        return {"audioUrl": audio, "durationSeconds": rng.randint(40, 110)}
    transcripts = [(text, seconds) for _, text, seconds in SPEAKING_LADDER]
    text, seconds = transcripts[_index(rng, len(transcripts), ability)]
    return {"audioUrl": audio, "durationSeconds": seconds, "transcript": text}


def _index(rng: random.Random, rungs: int, ability: float) -> int:
    # ability 1.0 lands on the top rung, 0.0 on the bottom one, with a little luck either way.
    position = (1 - ability) * (rungs - 1) + rng.uniform(-0.6, 0.6)
    return min(rungs - 1, max(0, round(position)))


def _rung(rng: random.Random, ladder: list[str], ability: float) -> str:
    return ladder[_index(rng, len(ladder), ability)]
