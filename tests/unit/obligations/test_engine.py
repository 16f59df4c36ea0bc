"""The engine on small rule sets: statuses, exceptions, chained and pending triggers, versions
by effective date, law-enforcement delay, links between notices, per-state rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from candor.domain.errors import RuleFileError
from candor.domain.obligations.deadlines import WeekendCalendars
from candor.domain.obligations.engine import evaluate
from candor.domain.obligations.vocabulary import Status
from tests.unit.obligations.support import finding, make_facts, reason, ruleset_from

RESIDENTS = """
      - {type: role, any_of: [controller]}
      - {type: affected, in: jurisdiction, op: ">", value: 0}
      - {type: data_elements, with_name: [ssn]}
"""

BASIC = f"""
rules:
  - id: ca-residents
    law: Test law
    citation: s.1
    recipient_category: individuals
    recipient: Residents
    verified: true
    conditions:{RESIDENTS}
    exceptions:
      - {{type: encryption_safe_harbour}}
      - {{type: risk_of_harm}}
      - {{type: law_enforcement_delay}}
    deadline: {{amount: 30, unit: calendar_days, trigger: discovered_at}}
  - id: ca-ag
    law: Test law
    citation: s.2
    recipient_category: authority
    recipient: Attorney General
    verified: false
    conditions:
      - {{type: obligation, rule: ca-residents}}
      - {{type: affected, in: jurisdiction, op: ">", value: 500}}
    deadline: {{amount: 15, unit: calendar_days, trigger: "notified:US-CA/individuals"}}
"""


def run(rules_text: str = BASIC, **incident: object):  # type: ignore[no-untyped-def]
    org = incident.pop("org", None)
    rules_date = incident.pop("rules_date", None)
    now = incident.pop("now", None)
    facts = make_facts(org, **incident)  # type: ignore[arg-type]
    return evaluate(
        facts,
        ruleset_from(rules_text),
        calendars=WeekendCalendars(),
        rules_date=rules_date,
        now=now,
    )  # type: ignore[arg-type]


def test_required_with_deadline_and_rationale() -> None:
    result = run(affected={"US-CA": 10})
    item = finding(result, "ca-residents")
    assert item.status is Status.REQUIRED
    assert item.deadline == datetime(2026, 4, 2, 6, 59, tzinfo=UTC)  # 1 Apr 23:59 PDT
    assert item.deadline_rule == "30 calendar days from discovered_at"
    assert any("10 residents of US-CA" in line for line in item.rationale)
    assert reason(result, "ca-ag") == "10 residents of US-CA (> 500 needed)"


def test_unknown_risk_leaves_it_to_counsel() -> None:
    result = run(affected={"US-CA": 10}, risk_of_harm="unknown")
    assert finding(result, "ca-residents").status is Status.REQUIRED_UNLESS_EXCEPTION


def test_harm_determined_unlikely_removes_the_obligation_with_the_reason() -> None:
    result = run(affected={"US-CA": 10}, risk_of_harm="unlikely")
    assert reason(result, "ca-residents").startswith("exception: harm determined unlikely")


def test_encryption_safe_harbour_and_its_loss() -> None:
    safe = run(affected={"US-CA": 10}, encrypted=True)
    assert "encryption safe harbour" in reason(safe, "ca-residents")
    lost = run(affected={"US-CA": 10}, encrypted=True, encryption_key_compromised=True)
    item = finding(lost, "ca-residents")
    assert item.status is Status.REQUIRED
    assert any("safe harbour lost" in line for line in item.rationale)


def test_a_dependent_notice_follows_the_outcome_of_the_one_it_depends_on() -> None:
    unknown = run(affected={"US-CA": 600}, risk_of_harm="unknown")
    assert finding(unknown, "ca-ag").status is Status.PENDING_TRIGGER
    gone = run(affected={"US-CA": 600}, risk_of_harm="unlikely")
    assert "ca-residents" in reason(gone, "ca-ag")


def test_chained_trigger_is_pending_until_the_event_is_recorded() -> None:
    pending = run(affected={"US-CA": 600})
    item = finding(pending, "ca-ag")
    assert item.status is Status.PENDING_TRIGGER
    assert item.deadline is None
    done = run(affected={"US-CA": 600}, notified={"US-CA/individuals": "2026-03-20T17:00:00Z"})
    item = finding(done, "ca-ag")
    assert item.status is Status.REQUIRED
    assert item.trigger_at == datetime(2026, 3, 20, 17, 0, tzinfo=UTC)
    assert item.deadline == datetime(2026, 4, 5, 6, 59, tzinfo=UTC)  # 4 Apr 23:59 PDT
    assert finding(done, "ca-residents").notified_at == item.trigger_at


def test_law_enforcement_delay_moves_the_deadline_to_the_end_of_the_delay() -> None:
    result = run(affected={"US-CA": 10}, law_enforcement_delay_until="2026-05-15T12:00:00Z")
    item = finding(result, "ca-residents")
    assert item.deadline == datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
    assert item.status is Status.REQUIRED
    short = run(affected={"US-CA": 10}, law_enforcement_delay_until="2026-03-05T12:00:00Z")
    assert finding(short, "ca-residents").deadline == datetime(2026, 4, 2, 6, 59, tzinfo=UTC)


def test_overdue_only_when_now_is_after_the_deadline_and_no_notice_was_recorded() -> None:
    later = datetime(2026, 6, 1, tzinfo=UTC)
    assert finding(run(affected={"US-CA": 10}, now=later), "ca-residents").overdue is True
    earlier = datetime(2026, 3, 10, tzinfo=UTC)
    assert finding(run(affected={"US-CA": 10}, now=earlier), "ca-residents").overdue is False
    sent = run(affected={"US-CA": 10}, now=later, notified={"ca-residents": "2026-03-20T10:00:00Z"})
    assert finding(sent, "ca-residents").overdue is False


VERSIONS = f"""
rules:
  - id: ca-residents
    law: Old law
    citation: s.1
    recipient_category: individuals
    recipient: Residents
    verified: true
    effective_until: 2025-12-31
    conditions:{RESIDENTS}
    deadline: {{unit: none, trigger: discovered_at, standard: without unreasonable delay}}
  - id: ca-residents
    law: New law
    citation: s.1
    recipient_category: individuals
    recipient: Residents
    verified: true
    effective_from: 2026-01-01
    conditions:{RESIDENTS}
    deadline: {{amount: 30, unit: calendar_days, trigger: discovered_at}}
"""


def test_the_version_in_force_on_the_awareness_date_applies() -> None:
    before = run(VERSIONS, affected={"US-CA": 1}, discovered_at="2025-12-31T20:00:00Z")
    # 20:00 UTC on 31 Dec is still 2025 in California, and 12:00 there
    assert finding(before, "ca-residents").rule.law == "Old law"
    after = run(VERSIONS, affected={"US-CA": 1}, discovered_at="2026-01-01T09:00:00Z")
    # 09:00 UTC on 1 Jan is 01:00 on 1 Jan in California: the new law
    assert finding(after, "ca-residents").rule.law == "New law"
    late_evening = run(VERSIONS, affected={"US-CA": 1}, discovered_at="2026-01-01T07:00:00Z")
    # 07:00 UTC on 1 Jan is 23:00 on 31 Dec in California: still the old law
    assert finding(late_evening, "ca-residents").rule.law == "Old law"


def test_rules_date_overrides_the_awareness_date() -> None:
    result = run(
        VERSIONS,
        affected={"US-CA": 1},
        discovered_at="2025-06-01T09:00:00Z",
        rules_date=date(2026, 2, 1),
    )
    assert finding(result, "ca-residents").rule.law == "New law"
    assert result.warnings[0].startswith("rules in force on 2026-02-01")


def test_a_rule_not_yet_in_force_says_when_it_will_be() -> None:
    text = VERSIONS.split("  - id: ca-residents\n    law: New law")[0].replace(
        "effective_until: 2025-12-31", "effective_from: 2027-05-13"
    )
    result = run(text, affected={"US-CA": 1})
    assert reason(result, "ca-residents") == (
        "not in force on 2026-03-02 (in force 2027-05-13 to …)"
    )


LINKED = f"""
rules:
  - id: residents
    law: L
    citation: s.1
    recipient_category: individuals
    recipient: Residents
    verified: true
    conditions:{RESIDENTS}
    deadline: {{amount: 60, unit: calendar_days, trigger: discovered_at}}
  - id: ag
    law: L
    citation: s.2
    recipient_category: authority
    recipient: AG
    verified: true
    conditions: [{{type: obligation, rule: residents}}]
    deadline:
      unit: none
      trigger: discovered_at
      standard: not later than the time notice is provided to residents
      no_later_than_rule: residents
  - id: regulator
    law: L
    citation: s.3
    recipient_category: authority
    recipient: Regulator
    verified: true
    conditions: [{{type: obligation, rule: residents}}]
    deadline:
      amount: 14
      unit: business_days
      trigger: discovered_at
      also_no_later_than:
        - {{amount: 0, unit: calendar_days, trigger: "notified:US-CA/individuals"}}
"""


def test_no_later_than_another_notice_takes_its_deadline_or_its_recorded_time() -> None:
    result = run(LINKED, affected={"US-CA": 1})
    assert finding(result, "ag").deadline == finding(result, "residents").deadline
    sent = run(LINKED, affected={"US-CA": 1}, notified={"residents": "2026-03-10T18:00:00Z"})
    assert finding(sent, "ag").deadline == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def test_whichever_is_sooner() -> None:
    result = run(LINKED, affected={"US-CA": 1})
    # 14 business days from Monday 2 March: Friday 20 March
    assert finding(result, "regulator").deadline == datetime(2026, 3, 21, 6, 59, tzinfo=UTC)
    early = run(
        LINKED, affected={"US-CA": 1}, notified={"US-CA/individuals": "2026-03-09T18:00:00Z"}
    )
    assert finding(early, "regulator").deadline == datetime(2026, 3, 10, 6, 59, tzinfo=UTC)


FAN_OUT = """
rules:
  - id: media
    law: L
    citation: s.1
    recipient_category: media
    recipient: Media serving the State
    verified: true
    for_each: ["@US_STATES"]
    conditions: [{type: affected, in: jurisdiction, op: ">", value: 500}]
    deadline: {amount: 60, unit: calendar_days, trigger: discovered_at}
"""


def test_per_state_rules_apply_once_per_state_over_the_threshold() -> None:
    result = run(FAN_OUT, affected={"US-TX": 501, "US-CA": 500, "US-NY": 900})
    assert sorted(f.jurisdiction for f in result.obligations) == ["US-NY", "US-TX"]
    assert [s.jurisdiction for s in result.not_triggered] == ["US-CA"]
    nobody = run(FAN_OUT, affected={"DE": 900})
    assert reason(nobody, "media") == "no affected residents in any of @US_STATES"


DORA_LIKE = """
regime: test-dora
jurisdiction: EU
timezone: eu_main_establishment
calendar: eu_main_establishment
last_reviewed: 2026-11-22
rules:
  - id: initial
    law: L
    citation: s.1
    recipient_category: authority
    recipient: Authority
    verified: true
    deadline:
      amount: 4
      unit: hours
      trigger: classified_major_at
      also_no_later_than: [{amount: 24, unit: hours, trigger: aware_at}]
      roll: {type: noon_next_working_day, not_for_sectors: [credit_institution]}
"""


def test_dual_limb_deadline_and_noon_roll() -> None:
    org = {"establishments": ["IE"], "eu_main_establishment": "IE"}
    unclassified = run(DORA_LIKE, org=org)
    item = finding(unclassified, "initial")
    assert item.status is Status.PENDING_TRIGGER
    # not classified yet: the 24-hour outer limit is still shown (Tuesday, no roll)
    assert item.deadline == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    classified = run(DORA_LIKE, org=org, classified_major_at="2026-03-02T16:00:00Z")
    assert finding(classified, "initial").deadline == datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    # classified on a Friday evening, more than 24 h after awareness: 4 h from classification,
    # which falls on Saturday: noon Monday in Dublin
    weekend = run(
        DORA_LIKE,
        org=org,
        discovered_at="2026-03-05T08:00:00Z",
        classified_major_at="2026-03-06T22:00:00Z",
    )
    assert finding(weekend, "initial").deadline == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    bank = run(
        DORA_LIKE,
        org={**org, "sectors": ["credit_institution"]},
        discovered_at="2026-03-05T08:00:00Z",
        classified_major_at="2026-03-06T22:00:00Z",
    )
    assert finding(bank, "initial").deadline == datetime(2026, 3, 7, 2, 0, tzinfo=UTC)


def test_broken_rules_report_every_problem_with_its_line() -> None:
    text = """
rules:
  - id: Bad Id
    law: L
    recipient_category: regulators
    recipient: R
    verified: maybe
    conditions:
      - {type: affected, in: jurisdiction, op: ">", value: "five"}
    deadline: {amount: 3, unit: weeks, trigger: noticed_at}
"""
    with pytest.raises(RuleFileError) as caught:
        ruleset_from(text)
    problems = caught.value.problems
    assert all(p.file == "test-0.yaml" and p.line for p in problems)
    messages = "\n".join(str(p) for p in problems)
    for expected in (
        "lower-case letters",
        "'citation' is required",
        "'regulators'",
        "true or false",
        "whole number",
        "'weeks'",
        "'noticed_at'",
    ):
        assert expected in messages
    assert len(problems) >= 7


def test_rules_that_refer_to_missing_rules_or_each_other_in_a_circle() -> None:
    text = """
rules:
  - id: rule-a
    law: L
    citation: c
    recipient_category: authority
    recipient: R
    verified: true
    conditions: [{type: obligation, rule: rule-b}]
    deadline: {unit: none, trigger: aware_at, standard: promptly}
  - id: rule-b
    law: L
    citation: c
    recipient_category: authority
    recipient: R
    verified: true
    conditions: [{type: obligation, rule: rule-a}, {type: obligation, rule: nowhere}]
    deadline: {unit: none, trigger: aware_at, standard: promptly}
"""
    with pytest.raises(RuleFileError) as caught:
        ruleset_from(text)
    messages = "\n".join(str(p) for p in caught.value.problems)
    assert "'nowhere', which no rule file defines" in messages
    assert "in a circle: rule-a → rule-b → rule-a" in messages


def test_overlapping_versions_are_refused() -> None:
    text = VERSIONS.replace("effective_from: 2026-01-01", "effective_from: 2025-06-01")
    with pytest.raises(RuleFileError, match="already has a version in force"):
        ruleset_from(text)
