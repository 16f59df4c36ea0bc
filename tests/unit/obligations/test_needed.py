"""The determinations still needed: each open question once, with the obligations hanging on it
(including those that only follow another rule), and the events pending clocks wait for."""

from __future__ import annotations

from candor.domain.obligations.needed import determinations_needed
from tests.unit.obligations.support import make_facts, run


def needed(**incident: object) -> dict[str, tuple[str, tuple[str, ...]]]:
    facts = make_facts(
        {"establishments": ["US-DE", "IE"]},
        discovered_at="2026-11-20T14:00:00Z",
        **incident,
    )
    return {n.question: (n.kind, n.obligations) for n in determinations_needed(facts, run(facts))}


def test_an_unassessed_risk_lists_the_question_with_every_obligation_hanging_on_it() -> None:
    found = needed(risk_of_harm="unknown", affected={"US-MA": 50, "DE": 3000})
    massachusetts = next(q for q in found if "substantial risk of identity theft" in q)
    kind, obligations = found[massachusetts]
    assert kind == "determination"
    # the CRA, credit-monitoring and regulator notices follow the residents' notice
    assert set(obligations) >= {
        "us-ma-individuals (US-MA)",
        "us-ma-regulator (US-MA)",
        "us-ma-cra (US-MA)",
    }
    assert any("risk of harm is high or higher" in q for q in found)


def test_a_pending_clock_names_the_event_it_waits_for() -> None:
    found = needed(risk_of_harm="likely", affected={"US-CA": 600})
    (question,) = [q for q, (kind, _) in found.items() if kind == "event"]
    assert "US-CA/individuals" in question
    assert found[question][1] == ("us-ca-regulator (US-CA)",)


def test_nothing_is_needed_once_everything_is_determined() -> None:
    found = needed(
        risk_of_harm="likely",
        affected={"US-TX": 1200},
        notified={"US-TX/individuals": "2026-11-21T10:00:00Z"},
    )
    assert found == {}
