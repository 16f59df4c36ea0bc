"""Response metrics with explicit times, checked by hand against the story's clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor.domain import metrics, retros
from candor.domain.incidents import Clock
from candor.domain.metrics import Measure, ObligationState
from candor.domain.milestones import ObligationRecord
from tests.learn_story import FIRST_ACTIVITY, story, t, written_retro


def test_per_incident_times() -> None:
    s = story()
    m = metrics.incident_metrics(
        s.incident,
        s.entries,
        now=t(5, 12),
        first_activity_at=FIRST_ACTIVITY,
        communications=s.communications,
        obligations=s.obligations,
    )
    assert m.duration(Measure.TIME_TO_DETECT) == timedelta(hours=11, minutes=25)
    assert m.duration(Measure.TIME_TO_DECLARE) == timedelta(minutes=20)
    assert m.duration(Measure.TIME_TO_ASSIGN_LEAD) == timedelta(minutes=25)
    assert m.duration(Measure.TIME_TO_CONTAIN) == timedelta(hours=6)
    # the internal all-hands note does not count; the customer notice the next day does
    assert m.duration(Measure.TIME_TO_FIRST_CUSTOMER_COMMUNICATION) == timedelta(hours=25)


def test_unknown_ends_leave_a_measure_out() -> None:
    s = story()
    m = metrics.incident_metrics(s.incident, [], now=t(5, 12))
    assert Measure.TIME_TO_DETECT not in m.spans  # first activity unknown
    assert Measure.TIME_TO_ASSIGN_LEAD not in m.spans  # no timeline given
    assert Measure.TIME_TO_FIRST_CUSTOMER_COMMUNICATION not in m.spans


def test_obligations_met_missed_pending_with_margins() -> None:
    s = story()
    results = {
        r.name: r
        for r in metrics.incident_metrics(
            s.incident, s.entries, now=t(5, 12), obligations=s.obligations
        ).obligations
    }
    gdpr = results["GDPR Art. 33 notification"]
    assert gdpr.state is ObligationState.MET
    assert gdpr.margin == timedelta(hours=16)  # due 5 March 10:00, filed 4 March 18:00
    contract = results["Customer contract notice"]
    assert contract.state is ObligationState.MISSED
    assert contract.margin == timedelta(hours=-1)  # due 3 March 10:00, sent 11:00
    insurer = results["Insurer notice"]
    assert insurer.state is ObligationState.PENDING
    assert insurer.margin == timedelta(hours=22)  # due 6 March 10:00, now 5 March 12:00
    later = metrics.obligation_result(s.obligations[2], now=t(6, 10, 30))
    assert later.state is ObligationState.MISSED
    assert later.margin == timedelta(minutes=-30)
    waived = ObligationRecord("State AG", "AG", deadline=t(4, 0), not_required=True)
    assert metrics.obligation_result(waived, now=t(9, 0)).state is ObligationState.NOT_REQUIRED
    standard = ObligationRecord("Individuals", "people", deadline=None)
    assert metrics.obligation_result(standard, now=t(9, 0)).state is ObligationState.NO_DEADLINE


def test_medians_and_p90_across_incidents_leave_out_exercises() -> None:
    runs = []
    for i, minutes in enumerate([10, 20, 30, 40, 600]):
        s = story(key=f"INC-2026-{i + 1}")
        inc = s.incident
        detected = inc.declared_at - timedelta(minutes=minutes)
        inc = replace(inc, clocks={**inc.clocks, Clock.DETECTED_AT: detected})
        runs.append(metrics.incident_metrics(inc, now=t(9, 0)))
    drill = story(key="INC-2026-99", exercise=True)
    runs.append(metrics.incident_metrics(drill.incident, now=t(9, 0)))
    summary = {s.measure: s for s in metrics.summarise(runs)}
    declare = summary[Measure.TIME_TO_DECLARE]
    assert declare.count == 5
    assert declare.median == timedelta(minutes=30)
    assert declare.p90 == timedelta(minutes=600)
    with_drill = {s.measure: s for s in metrics.summarise(runs, include_exercises=True)}
    assert with_drill[Measure.TIME_TO_DECLARE].count == 6


@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=50))
def test_nearest_rank_is_an_observed_value_with_enough_below(values: list[float]) -> None:
    p90 = metrics.nearest_rank(values, 0.9)
    assert p90 in values
    assert sum(v <= p90 for v in values) >= 0.9 * len(values)
    assert sum(v < p90 for v in values) < 0.9 * len(values)


def test_overdue_action_items_most_overdue_first() -> None:
    one = written_retro(story(key="INC-2026-1"))
    two = written_retro(story(key="INC-2026-2"))
    two = retros.set_action_status(two, 1, "done", now=t(6, 9))
    found = metrics.overdue_action_items([one, two], now=t(25, 12))
    assert [(o.incident_key, o.item.seq, o.days_overdue) for o in found] == [("INC-2026-1", 1, 5)]


def test_recurring_root_causes_fold_wording_and_count_incidents() -> None:
    a = written_retro(story(key="INC-2026-1"))
    b = retros.revise(
        written_retro(story(key="INC-2026-2")),
        {
            "chains": [
                {
                    "problem": "Password reused",
                    "steps": [
                        {"why": "Why?", "because": "Shared admin account"},
                        {"why": "Why?", "because": "Because there was no secret scanning in CI."},
                    ],
                }
            ]
        },
        now=t(6, 9),
    )
    found = metrics.recurring_root_causes([a, b])
    assert [(r.cause, r.incident_keys) for r in found] == [
        ("no secret scanning in ci", ("INC-2026-1", "INC-2026-2"))
    ]
    assert metrics.recurring_root_causes([a, a]) == []  # the same incident twice is one


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Because there was no review.", "no review"),
        ("We had no owner for the tool", "no owner for tool"),
        ("  The  token   had no expiry!", "token had no expiry"),
    ],
)
def test_normalise_cause(text: str, folded: str) -> None:
    assert metrics.normalise_cause(text) == folded
