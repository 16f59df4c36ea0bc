"""Every numeric threshold in the rules, tested exactly at, one below and one above, through the
whole engine. The table is written from the reference table's summary (section 0.1, item 3) so a
transcription error (``>`` for ``>=``, 500 for 1,000) fails here."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from candor.domain.obligations.condition_types import AffectedCondition
from candor.domain.obligations.conditions import AllOf, AnyOf, Condition, Not
from candor.domain.obligations.vocabulary import Comparison
from tests.unit.obligations.support import builtin, make_facts, run

STATE = {"risk_of_harm": "likely", "data_elements": ["name", "ssn"]}


def state(code: str, op: str, value: int, **extra: Any) -> dict[str, Any]:
    return {"place": f"US-{code}", "op": op, "value": value, "incident": STATE, **extra}


# rule id → where the people are counted, the comparison and the number, and the facts needed
# for the rule's other conditions
THRESHOLDS: dict[str, dict[str, Any]] = {
    # attorney-general / regulator notice
    "us-dc-regulator": state("DC", ">=", 50),
    "us-tx-regulator": state("TX", ">=", 250),
    "us-nd-regulator": state("ND", ">", 250),
    "us-or-regulator": state("OR", ">", 250),
    "us-sd-regulator": state("SD", ">", 250),
    **{
        f"us-{c.lower()}-regulator": state(c, ">", 500)
        for c in ("CA", "DE", "IL", "IA", "PA", "RI", "WA")
    },
    **{f"us-{c.lower()}-regulator": state(c, ">=", 500) for c in ("CO", "FL", "UT", "OK")},
    **{
        f"us-{c.lower()}-regulator": state(c, ">", 1000)
        for c in ("AL", "AZ", "AR", "HI", "MO", "NM", "SC")
    },
    # consumer reporting agencies
    **{
        f"us-{c.lower()}-cra": state(c, ">", 1000)
        for c in (
            "AL",
            "AK",
            "AZ",
            "CO",
            "DC",
            "FL",
            "HI",
            "IN",
            "KS",
            "KY",
            "ME",
            "MI",
            "MO",
            "MT",
            "NV",
            "NH",
            "NJ",
            "NM",
            "NC",
            "OH",
            "SC",
            "TN",
            "VT",
            "VA",
            "WV",
            "WI",
            "OR",
        )
    },
    "us-mn-cra": state("MN", ">", 500),
    "us-ri-cra": state("RI", ">", 500),
    "us-pa-cra": state("PA", ">=", 500),
    "us-pa-cra@earlier": state("PA", ">", 1000, rules_date=date(2024, 6, 1)),
    "us-ca-regulator@earlier": state("CA", ">", 500, rules_date=date(2025, 6, 1)),
    "us-md-cra": state("MD", ">=", 1000),
    "us-ut-cra": state("UT", ">=", 1000),
    "us-ny-cra": state("NY", ">", 5000),
    "us-ga-cra": state("GA", ">", 10000, org={"sectors": ["information_broker"]}),
    "us-tx-cra": state("TX", ">", 10000),
    # Washington's CRA rule is not in force (doubtful in the reference): never triggered
    "us-wa-cra": state("WA", "never", 1000),
    # federal and sectoral
    "us-hipaa-164-408-large": {
        "place": "US-CA",
        "op": ">=",
        "value": 500,
        "org": {"sectors": ["hipaa_covered_entity"]},
        "incident": {"data_elements": ["name", "medical"]},
    },
    "us-hipaa-164-408-small": {
        "place": "US-CA",
        "op": "<",
        "value": 500,
        "org": {"sectors": ["hipaa_covered_entity"]},
        "incident": {"data_elements": ["name", "medical"]},
    },
    "us-hipaa-164-406": {
        "place": "US-CA",
        "op": ">",
        "value": 500,
        "org": {"sectors": ["hipaa_covered_entity"]},
        "incident": {"data_elements": ["name", "medical"]},
    },
    "us-ftc-hbnr-ftc": {
        "place": "US-CA",
        "op": ">=",
        "value": 500,
        "org": {"sectors": ["health_app_vendor"]},
        "incident": {"data_elements": ["name", "medical"]},
    },
    "us-ftc-hbnr-ftc-annual": {
        "place": "US-CA",
        "op": "<",
        "value": 500,
        "org": {"sectors": ["health_app_vendor"]},
        "incident": {"data_elements": ["name", "medical"]},
    },
    "us-ftc-hbnr-media": {
        "place": "US-CA",
        "op": ">",
        "value": 500,
        "org": {"sectors": ["health_app_vendor"]},
        "incident": {"data_elements": ["name", "medical"]},
    },
    "us-glba-ftc-314-4j": {
        "place": "US-CA",
        "op": ">=",
        "value": 500,
        "org": {"sectors": ["glba_financial_institution"]},
        "incident": STATE,
    },
    "us-fcc-cpni": {
        "place": "US-CA",
        "op": ">=",
        "value": 500,
        "org": {"sectors": ["telecom_carrier"]},
        "incident": {**STATE, "risk_of_harm": "unlikely"},
    },
    "us-ut-govt-5day-ag": {
        "place": "US-UT",
        "op": ">=",
        "value": 500,
        "org": {"sectors": ["government_agency"]},
        "incident": STATE,
    },
    "sg-pdpa-26d-pdpc": {
        "place": "SG",
        "op": ">=",
        "value": 500,
        "incident": {**STATE, "risk_of_harm": "unlikely"},
    },
    "kr-pipa-34-pipc": {
        "place": "KR",
        "op": ">=",
        "value": 1000,
        "incident": {
            "data_elements": ["name", "email_address"],
            "determinations": {"malicious_act": False},
        },
    },
    **{
        rule: {
            "place": "JP",
            "op": ">",
            "value": 1000,
            "incident": {
                "data_elements": ["name", "email_address"],
                "determinations": {"malicious_act": False},
            },
        }
        for rule in ("jp-appi-26-prelim", "jp-appi-26-final", "jp-appi-26-individuals")
    },
}


def triggered(rule_id: str, spec: dict[str, Any], count: int) -> bool:
    facts = make_facts(spec.get("org"), **{**spec["incident"], "affected": {spec["place"]: count}})
    result = run(facts, rules_date=spec.get("rules_date"))
    return any(f.rule.id == rule_id for f in (*result.obligations, *result.duties))


@pytest.mark.parametrize("key", sorted(THRESHOLDS))
def test_threshold_at_one_below_and_one_above(key: str) -> None:
    spec = THRESHOLDS[key]
    rule_id = key.split("@")[0]
    value = spec["value"]
    for count in (value - 1, value, value + 1):
        expected = spec["op"] != "never" and Comparison(spec["op"]).holds(count, value)
        assert triggered(rule_id, spec, count) is expected, (rule_id, count)


def _thresholds(condition: Condition) -> list[AffectedCondition]:
    if isinstance(condition, AffectedCondition):
        return [condition]
    if isinstance(condition, AllOf | AnyOf):
        return [t for c in condition.conditions for t in _thresholds(c)]
    if isinstance(condition, Not):
        return _thresholds(condition.condition)
    return []


def test_every_numeric_threshold_in_the_rules_has_a_boundary_test() -> None:
    """Residence (``> 0``) is not a threshold; every other count is in the table above, with
    the same comparison and number (Oklahoma's credit-bureau limb is tested separately)."""
    found = {}
    for rule in builtin().all():
        for condition in rule.conditions:
            for limit in _thresholds(condition):
                if limit.op is Comparison.GT and limit.value == 0:
                    continue
                key = rule.id if rule.effective_until is None else f"{rule.id}@earlier"
                found.setdefault(key, set()).add((limit.op.value, limit.value))
    found["us-ok-regulator"].discard((">=", 1000))
    tested = {key: {(spec["op"], spec["value"])} for key, spec in THRESHOLDS.items()}
    tested["us-wa-cra"] = {(">", 1000)}
    assert found == tested


def test_oklahoma_counts_1000_when_the_breached_system_is_a_credit_bureaus() -> None:
    spec = state("OK", ">=", 1000, org={"sectors": ["consumer_reporting_agency"]})
    assert not triggered("us-ok-regulator", spec, 999)
    assert triggered("us-ok-regulator", spec, 1000)
    assert triggered("us-ok-regulator", state("OK", ">=", 500), 500)


# Georgia's statute covers information brokers only; the sector changes no other state's rule
# when the risk of harm is likely
BROKER = {"sectors": ["information_broker"]}


def _substitute_rules() -> list[str]:
    return sorted(
        rule.id
        for rule in builtin().all()
        if rule.substitute_notice is not None
        and (rule.substitute_notice.affected_over or rule.substitute_notice.cost_over)
    )


def _substitute(rule_id: str, *, people: int, cost: float, contact: bool) -> Any:
    rule = builtin().versions[rule_id][-1]
    facts = make_facts(
        BROKER,
        affected={rule.jurisdiction: people},
        risk_of_harm="likely",
        data_elements=["name", "ssn"],
        notice_cost_estimate=cost,
        insufficient_contact_info=contact,
        discovered_at="2026-06-01T15:00:00Z",
    )
    found = [f for f in run(facts).obligations if f.rule.id == rule_id]
    assert found, rule_id
    return found[0].substitute


@pytest.mark.parametrize("rule_id", _substitute_rules())
def test_substitute_notice_thresholds(rule_id: str) -> None:
    """Substitute notice is allowed above the cost or the number of people the law names
    ("cost > $250,000 or > 500,000 persons"), exactly as written: not at the number."""
    spec = builtin().versions[rule_id][-1].substitute_notice
    assert spec is not None
    if spec.affected_over:
        n = spec.affected_over
        for people, expected in ((n - 1, False), (n, False), (n + 1, True)):
            outcome = _substitute(rule_id, people=people, cost=0, contact=False)
            assert outcome.available is expected, (rule_id, people)
    if spec.cost_over:
        c = spec.cost_over
        for cost, expected in ((c - 1, False), (c, False), (c + 1, True)):
            outcome = _substitute(rule_id, people=10, cost=cost, contact=False)
            assert outcome.available is expected, (rule_id, cost)
    if spec.insufficient_contact:
        assert _substitute(rule_id, people=10, cost=0, contact=True).available is True
    unknown = _substitute_unknown(rule_id)
    assert unknown.available is None
    assert "not recorded" in unknown.reason


def _substitute_unknown(rule_id: str) -> Any:
    rule = builtin().versions[rule_id][-1]
    facts = make_facts(
        BROKER,
        affected={rule.jurisdiction: 10},
        risk_of_harm="likely",
        discovered_at="2026-06-01T15:00:00Z",
    )
    return next(f for f in run(facts).obligations if f.rule.id == rule_id).substitute
