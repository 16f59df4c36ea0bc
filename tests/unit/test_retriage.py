"""Re-triage: what changed between two assessments, and when routine becomes a breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from candor.adapters.rules_files import load_triage_policy
from candor.domain.errors import InvalidInput
from candor.domain.retriage import Direction, assess, compare
from candor.domain.triage import parse_answers
from candor.domain.vocabulary import Kind, Severity

POLICY = load_triage_policy()
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _assess(answers: dict[str, object], minutes: int = 0):  # type: ignore[no-untyped-def]
    return assess(parse_answers(answers), POLICY, by="alice", now=T0 + timedelta(minutes=minutes))


def test_first_triage_is_described_without_a_before() -> None:
    change = compare(None, _assess({"access": "suspected"}))
    assert change.kind_before is None
    assert change.summary() == "Triaged as security_incident, SEV3."
    assert not change.breach_escalation
    assert not change.escalated


def test_a_first_triage_straight_to_breach_names_its_answers() -> None:
    change = compare(None, _assess({"customer_secrets": ["cloud_keys"], "access": "confirmed"}))
    assert change.breach_escalation
    assert change.escalating_answers == ("access", "customer_secrets")


def test_routine_to_breach_names_the_answer_changes_that_escalated() -> None:
    # Friday: a customer reports odd activity in their AWS account; we hold their keys
    before = _assess(
        {"customer_secrets": ["cloud_keys"], "access": "unknown", "public_attention": "no"}
    )
    # Saturday: logs confirm the attacker used our store; the press has not noticed
    after = _assess(
        {"customer_secrets": ["cloud_keys"], "access": "confirmed", "public_attention": "no"}, 600
    )
    change = compare(before, after)
    assert (change.kind_before, change.severity_before) == (Kind.EVENT, Severity.SEV4)
    assert (change.kind_after, change.severity_after) == (Kind.SUPPLY_CHAIN_BREACH, Severity.SEV1)
    assert change.escalated
    assert change.breach_escalation
    # customer_secrets did not change; access did, so access drove the escalation
    assert change.escalating_answers == ("access",)
    assert [str(c) for c in change.answer_changes] == ["access: unknown → confirmed"]
    assert change.answer_changes[0].direction is Direction.WORSE
    assert "customer-secrets-confirmed" in change.rules_added
    summary = change.summary()
    assert "event, SEV4 → supply_chain_breach, SEV1" in summary
    assert "driven by: access" in summary
    assert "must confirm" in summary
    data = change.as_data()
    assert data["breach_escalation"] is True
    assert data["severity"] == {"before": "SEV4", "after": "SEV1"}


def test_staying_a_breach_is_not_a_new_escalation() -> None:
    before = _assess({"personal_data": "yes", "access": "suspected"})
    after = _assess({"personal_data": "yes", "access": "confirmed"}, 60)
    change = compare(before, after)
    assert change.kind_before is change.kind_after is Kind.PERSONAL_DATA_BREACH
    assert change.escalated
    assert not change.breach_escalation
    assert change.escalating_answers == ()


def test_ruling_out_lowers_and_says_so() -> None:
    before = _assess({"access": "suspected", "data_elements": ["email_address", "name"]})
    after = _assess({"access": "ruled_out", "data_elements": ["name"]}, 120)
    change = compare(before, after)
    assert change.de_escalated
    directions = {c.question: c.direction for c in change.answer_changes}
    assert directions == {"data_elements": Direction.BETTER, "access": Direction.BETTER}
    assert change.rules_removed == ("access-suspected", "personal-data-exposed")


def test_sets_that_gain_and_lose_are_changed_not_better_or_worse() -> None:
    before = _assess({"regulated_data": ["health"]})
    after = _assess({"regulated_data": ["finance"]})
    (only,) = compare(before, after).answer_changes
    assert only.direction is Direction.CHANGED


def test_an_identical_reassessment_is_unchanged() -> None:
    answers = {"access": "suspected"}
    change = compare(_assess(answers), _assess(answers, 30))
    assert change.unchanged
    assert change.summary() == "Re-triaged: still security_incident, SEV3."


def test_assessment_times_must_have_a_zone() -> None:
    with pytest.raises(InvalidInput):
        assess(parse_answers({}), POLICY, by="alice", now=datetime(2026, 1, 1))
