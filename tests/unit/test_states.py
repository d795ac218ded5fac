"""Submission and outbox state machines (docs/grading-pipeline.md#submission-states)."""

from __future__ import annotations

import itertools

import pytest

from domain.enums import OutboxStatus, SubmissionStatus
from domain.states import (
    FINAL_STATES,
    OUTBOX_FINAL_STATES,
    OUTBOX_TRANSITIONS,
    SUBMISSION_TRANSITIONS,
    TIMEOUT_ELIGIBLE,
    allowed_sources,
    can_transition,
    outbox_allowed_sources,
    outbox_can_transition,
)

S = SubmissionStatus
O = OutboxStatus  # noqa: E741

# The diagram of docs/grading-pipeline.md#submission-states, edge by edge.
SUBMISSION_EDGES = {
    (S.PENDING, S.QUEUED),
    (S.QUEUED, S.PROCESSING),
    (S.PROCESSING, S.COMPLETED),
    (S.PROCESSING, S.REVIEW_PENDING),
    (S.PROCESSING, S.ERROR),
    (S.REVIEW_PENDING, S.COMPLETED),
    (S.ERROR, S.RETRYING),
    (S.RETRYING, S.PROCESSING),
    (S.PENDING, S.FAILED),
    (S.QUEUED, S.FAILED),
    (S.PROCESSING, S.FAILED),
    (S.ERROR, S.FAILED),
    (S.RETRYING, S.FAILED),
    # an operator's retry
    (S.FAILED, S.PENDING),
}

OUTBOX_EDGES = {
    (O.PENDING, O.PROCESSING),
    (O.PROCESSING, O.PUBLISHED),
    (O.PROCESSING, O.PENDING),
    (O.PROCESSING, O.FAILED),
    (O.FAILED, O.PENDING),
}


def test_every_submission_state_has_an_entry() -> None:
    # given the map / then no state is forgotten (a missing key would be a KeyError at runtime)
    assert set(SUBMISSION_TRANSITIONS) == set(SubmissionStatus)


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(SubmissionStatus, repeat=2)))
def test_submission_transitions_match_the_diagram(
    src: SubmissionStatus, dst: SubmissionStatus
) -> None:
    # given any pair of states / when asked / then only the diagram's edges are allowed
    assert can_transition(src, dst) == ((src, dst) in SUBMISSION_EDGES)


@pytest.mark.parametrize(
    ("target", "sources"),
    [
        (S.PENDING, {S.FAILED}),
        (S.QUEUED, {S.PENDING}),
        (S.PROCESSING, {S.QUEUED, S.RETRYING}),
        (S.COMPLETED, {S.PROCESSING, S.REVIEW_PENDING}),
        (S.REVIEW_PENDING, {S.PROCESSING}),
        (S.ERROR, {S.PROCESSING}),
        (S.RETRYING, {S.ERROR}),
        (S.FAILED, {S.PENDING, S.QUEUED, S.PROCESSING, S.ERROR, S.RETRYING}),
    ],
)
def test_allowed_sources_is_the_guard_list(
    target: SubmissionStatus, sources: set[SubmissionStatus]
) -> None:
    # given a target state / when its guard list is read / then it holds exactly its sources
    assert allowed_sources(target) == frozenset(sources)


def test_final_states_have_no_way_out_but_an_operators_retry() -> None:
    # given the map / then completed and failed are final and nothing else is
    assert frozenset({S.COMPLETED, S.FAILED}) == FINAL_STATES
    assert not SUBMISSION_TRANSITIONS[S.COMPLETED]
    # and the only way out of failed is back to pending, which only an operator takes
    assert SUBMISSION_TRANSITIONS[S.FAILED] == {S.PENDING}


def test_timeout_eligible_states_are_those_that_may_fail_on_timeout() -> None:
    # given the SLA rule / then review_pending never times out and final states are left alone
    assert frozenset({S.PENDING, S.QUEUED, S.PROCESSING, S.ERROR, S.RETRYING}) == TIMEOUT_ELIGIBLE
    assert allowed_sources(S.FAILED) == TIMEOUT_ELIGIBLE
    assert S.REVIEW_PENDING not in TIMEOUT_ELIGIBLE


def test_every_non_final_state_can_reach_a_final_state() -> None:
    # given the map / when walked from pending / then every state is reachable and can finish
    reachable = {S.PENDING}
    frontier = [S.PENDING]
    while frontier:
        for nxt in SUBMISSION_TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(SubmissionStatus)


def test_transition_map_cannot_be_changed_at_runtime() -> None:
    # given the shared map / when someone tries to change it / then it refuses
    with pytest.raises(TypeError):
        SUBMISSION_TRANSITIONS[S.COMPLETED] = frozenset({S.PENDING})  # type: ignore[index]


def test_every_outbox_state_has_an_entry() -> None:
    assert set(OUTBOX_TRANSITIONS) == set(OutboxStatus)


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(OutboxStatus, repeat=2)))
def test_outbox_transitions_match_the_relay_rules(src: OutboxStatus, dst: OutboxStatus) -> None:
    # given any pair of outbox states / then only claim, publish, back off, fail, retry are allowed
    assert outbox_can_transition(src, dst) == ((src, dst) in OUTBOX_EDGES)


@pytest.mark.parametrize(
    ("target", "sources"),
    [
        (O.PENDING, {O.PROCESSING, O.FAILED}),
        (O.PROCESSING, {O.PENDING}),
        (O.PUBLISHED, {O.PROCESSING}),
        (O.FAILED, {O.PROCESSING}),
    ],
)
def test_outbox_allowed_sources(target: OutboxStatus, sources: set[OutboxStatus]) -> None:
    assert outbox_allowed_sources(target) == frozenset(sources)


def test_published_is_the_only_final_outbox_state() -> None:
    # failed is not final: an operator retry puts it back to pending
    assert frozenset({O.PUBLISHED}) == OUTBOX_FINAL_STATES
