"""The lifecycle: no sequence of calls reaches an illegal state."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from candor.domain import incidents
from candor.domain.errors import IllegalTransition, InvalidInput
from candor.domain.lifecycle import ACTIVE_ORDER, TRANSITIONS, Phase, allowed_targets, is_allowed

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fresh() -> incidents.Incident:
    return incidents.declare(
        id=uuid.uuid4(), key="INC-2026-1", title="Odd AWS activity", by="alice", now=START
    )


def test_declared_incident_starts_in_triage() -> None:
    incident = fresh()
    assert incident.phase is Phase.TRIAGE
    assert incident.entered(Phase.TRIAGE) == START
    assert incident.is_open and incident.closed_at is None


def test_the_documented_path_is_allowed() -> None:
    incident = fresh()
    now = START
    for phase in (*ACTIVE_ORDER[1:], Phase.CLOSED):
        now += timedelta(hours=1)
        incident = incidents.transition(incident, phase, by="alice", now=now)
    assert incident.phase is Phase.CLOSED
    assert incident.closed_at == now
    assert [c.phase for c in incident.phase_history] == [*ACTIVE_ORDER, Phase.CLOSED]


def test_closing_from_triage_is_refused_and_names_the_allowed_moves() -> None:
    with pytest.raises(IllegalTransition) as caught:
        incidents.transition(fresh(), "closed", by="alice", now=START)
    assert "triage" in caught.value.message
    assert "declined" in caught.value.message


def test_declining_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        incidents.transition(fresh(), Phase.DECLINED, by="alice", now=START)
    assert caught.value.problems[0].field == "reason"
    declined = incidents.transition(
        fresh(), Phase.DECLINED, by="alice", now=START, reason="Scanner noise, not an incident"
    )
    assert not declined.is_open


def test_declined_is_reachable_only_from_triage() -> None:
    sources = {source for source, targets in TRANSITIONS.items() if Phase.DECLINED in targets}
    assert sources == {Phase.TRIAGE}


def test_closed_is_reachable_only_from_post_incident() -> None:
    sources = {source for source, targets in TRANSITIONS.items() if Phase.CLOSED in targets}
    assert sources == {Phase.POST_INCIDENT}


def test_reopening_a_closed_incident_returns_it_to_post_incident() -> None:
    assert allowed_targets(Phase.CLOSED) == [Phase.POST_INCIDENT]
    assert allowed_targets(Phase.DECLINED) == [Phase.TRIAGE]


def test_an_unknown_phase_names_the_allowed_words() -> None:
    with pytest.raises(InvalidInput) as caught:
        incidents.transition(fresh(), "finished", by="alice", now=START)
    assert "finished" in caught.value.message and "post_incident" in caught.value.message


class Lifecycle(RuleBasedStateMachine):
    """Random sequences of moves, legal and illegal, against the domain functions."""

    def __init__(self) -> None:
        super().__init__()
        self.incident = fresh()
        self.now = START

    @rule(
        phase=st.sampled_from(list(Phase)),
        minutes=st.integers(0, 600),
        reason=st.sampled_from(["", "because"]),
    )
    def move(self, phase: Phase, minutes: int, reason: str) -> None:
        target = phase
        self.now += timedelta(minutes=minutes)
        before = self.incident
        try:
            after = incidents.transition(before, target, by="alice", now=self.now, reason=reason)
        except IllegalTransition:
            assert not is_allowed(before.phase, target)
            return
        except InvalidInput:
            assert target is Phase.DECLINED and not reason
            return
        assert is_allowed(before.phase, target)
        assert after.phase is target
        # the value given is never changed
        assert before.phase_history == self.incident.phase_history
        self.incident = after

    @rule(minutes=st.integers(1, 600))
    def move_back_in_time_is_refused(self, minutes: int) -> None:
        targets = allowed_targets(self.incident.phase)
        target = next((t for t in targets if t is not Phase.DECLINED), None)
        if target is None:
            return
        last = self.incident.phase_history[-1].entered_at
        with pytest.raises(InvalidInput):
            incidents.transition(
                self.incident, target, by="alice", now=last - timedelta(minutes=minutes)
            )

    @invariant()
    def history_is_a_legal_walk(self) -> None:
        history = self.incident.phase_history
        assert history[0].phase is Phase.TRIAGE
        for earlier, later in itertools.pairwise(history):
            assert is_allowed(earlier.phase, later.phase)
            assert earlier.entered_at <= later.entered_at
        assert self.incident.is_open == (self.incident.closed_at is None)


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


@given(st.lists(st.sampled_from(list(Phase)), max_size=30))
def test_any_sequence_ends_in_a_state_reachable_by_legal_moves(targets: list[Phase]) -> None:
    incident = fresh()
    now = START
    for target in targets:
        now += timedelta(minutes=5)
        try:
            incident = incidents.transition(incident, target, by="bob", now=now, reason="r")
        except IllegalTransition:
            continue
    phases = [c.phase for c in incident.phase_history]
    assert all(is_allowed(a, b) for a, b in itertools.pairwise(phases))
