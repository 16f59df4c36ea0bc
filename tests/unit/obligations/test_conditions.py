"""The condition and exception registries: built from rule-file data with ``from_dict``,
problems collected with paths, three-valued evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from candor.domain.obligations.conditions import (
    CONDITIONS,
    Condition,
    Context,
    Truth,
    parse_condition,
)
from candor.domain.obligations.exceptions import EXCEPTIONS, parse_exception
from candor.domain.obligations.reader import Problems
from tests.unit.obligations.support import make_facts


def build(data: Any) -> Condition:
    problems = Problems()
    condition = parse_condition(data, ("conditions", 0), problems)
    assert not problems, [str(p) for p in problems.items]
    assert condition is not None
    return condition


def errors(data: Any) -> list[str]:
    problems = Problems()
    assert parse_condition(data, ("conditions", 0), problems) is None
    return [str(p) for p in problems.items]


def truth(data: Any, jurisdiction: str = "US-CA", **incident: Any) -> Truth:
    org = incident.pop("org", None)
    facts = make_facts(org, **incident)
    return build(data).evaluate(Context(facts, jurisdiction, {})).truth


def test_the_registry_holds_every_documented_type() -> None:
    assert set(CONDITIONS) == {
        "role",
        "sector",
        "affected",
        "establishment",
        "nexus",
        "data_elements",
        "risk_of_harm",
        "determination",
        "obligation",
        "customer_affected",
        "all_of",
        "any_of",
        "not",
    }
    assert set(EXCEPTIONS) == {"encryption_safe_harbour", "risk_of_harm", "law_enforcement_delay"}


def test_unknown_type_is_named_with_the_allowed_ones_and_a_suggestion() -> None:
    [problem] = errors({"type": "afected", "in": "total", "op": ">", "value": 1})
    assert "unknown condition type 'afected'" in problem
    assert "did you mean 'affected'?" in problem


def test_all_problems_of_a_condition_are_reported() -> None:
    problems = errors({"type": "affected", "in": "XX", "op": "=>", "value": -1, "extra": 1})
    text = "\n".join(problems)
    assert len(problems) == 4
    assert "conditions[0].in" in text
    assert "conditions[0].op" in text
    assert "conditions[0].value" in text
    assert "unknown key 'extra'" in text


@pytest.mark.parametrize(
    ("op", "value", "count", "expected"),
    [
        (">", 500, 499, Truth.NO),
        (">", 500, 500, Truth.NO),
        (">", 500, 501, Truth.YES),
        (">=", 500, 499, Truth.NO),
        (">=", 500, 500, Truth.YES),
        (">=", 500, 501, Truth.YES),
        ("<", 500, 499, Truth.YES),
        ("<", 500, 500, Truth.NO),
        ("<=", 500, 500, Truth.YES),
        ("<=", 500, 501, Truth.NO),
    ],
)
def test_thresholds_are_exact(op: str, value: int, count: int, expected: Truth) -> None:
    condition = {"type": "affected", "in": "jurisdiction", "op": op, "value": value}
    assert truth(condition, affected={"US-CA": count}) is expected


def test_counts_per_state_per_country_per_group_and_in_total() -> None:
    affected = {"US-CA": 300, "US-TX": 300, "DE": 10, "FR": 5}
    assert (
        truth({"type": "affected", "in": "total", "op": ">=", "value": 615}, affected=affected)
        is Truth.YES
    )
    assert (
        truth({"type": "affected", "in": "US", "op": ">", "value": 500}, affected=affected)
        is Truth.YES
    )
    assert (
        truth(
            {"type": "affected", "in": "jurisdiction", "op": ">", "value": 500}, affected=affected
        )
        is Truth.NO
    )
    assert (
        truth({"type": "affected", "in": "@EEA", "op": ">=", "value": 15}, affected=affected)
        is Truth.YES
    )


def test_data_elements_with_name_alone_and_implied() -> None:
    condition = {
        "type": "data_elements",
        "with_name": ["ssn", "financial_account"],
        "alone": ["account_credentials"],
    }
    assert truth(condition, data_elements=["name", "ssn"]) is Truth.YES
    assert truth(condition, data_elements=["ssn"]) is Truth.NO  # needs the name
    assert truth(condition, data_elements=["account_credentials"]) is Truth.YES
    # an account number with its code is an account number
    assert (
        truth(condition, data_elements=["name", "financial_account_with_access_code"]) is Truth.YES
    )
    assert (
        truth(
            {"type": "data_elements", "any_personal": True},
            data_elements=["third_party_credentials"],
        )
        is Truth.NO
    )


def test_nexus_is_establishment_or_residents() -> None:
    condition = {"type": "nexus", "in": ["@EEA"]}
    assert truth(condition, org={"establishments": ["IE"]}) is Truth.YES
    assert truth(condition, affected={"FR": 1}) is Truth.YES
    assert truth(condition, affected={"FR": 0, "US-CA": 5}) is Truth.NO


def test_unknown_risk_or_determination_is_unknown_not_no() -> None:
    high = {"type": "risk_of_harm", "at_least": "high"}
    assert truth(high, risk_of_harm="unknown") is Truth.UNKNOWN
    assert truth(high, risk_of_harm="likely") is Truth.NO
    assert truth(high, risk_of_harm="high") is Truth.YES
    significant = {"type": "determination", "name": "significant_incident"}
    assert truth(significant) is Truth.UNKNOWN
    assert truth(significant, determinations={"significant_incident": False}) is Truth.NO


def test_three_valued_combinators() -> None:
    yes = {"type": "role", "any_of": ["controller"]}
    no = {"type": "role", "any_of": ["vendor"]}
    unknown = {"type": "determination", "name": "large_scale"}

    def combo(kind: str, *items: Any) -> Truth:
        return truth({"type": kind, "conditions": list(items)})

    assert combo("any_of", no, unknown) is Truth.UNKNOWN
    assert combo("any_of", no, unknown, yes) is Truth.YES
    assert combo("all_of", yes, unknown) is Truth.UNKNOWN
    assert combo("all_of", yes, unknown, no) is Truth.NO
    assert truth({"type": "not", "condition": unknown}) is Truth.UNKNOWN
    assert truth({"type": "not", "condition": no}) is Truth.YES


def test_obligation_condition_reads_other_rules_outcomes() -> None:
    condition = build({"type": "obligation", "rule": "us-ca-individuals"})
    facts = make_facts()
    for given, expected in [(Truth.YES, Truth.YES), (Truth.UNKNOWN, Truth.UNKNOWN)]:
        ctx = Context(facts, "US-CA", {"us-ca-individuals": given})
        assert condition.evaluate(ctx).truth is expected
    assert condition.evaluate(Context(facts, "US-CA", {})).truth is Truth.NO
    assert condition.references() == ("us-ca-individuals",)


def exception_truth(data: Any, **incident: Any) -> Truth:
    problems = Problems()
    exception = parse_exception(data, ("exceptions", 0), problems)
    assert exception is not None, [str(p) for p in problems.items]
    org = incident.pop("org", None)
    return exception.evaluate(Context(make_facts(org, **incident), "US-CA", {})).truth


def test_encryption_safe_harbour_is_lost_when_the_key_is_taken() -> None:
    harbour = {"type": "encryption_safe_harbour"}
    assert exception_truth(harbour, encrypted=True) is Truth.YES
    assert exception_truth(harbour, encrypted=True, encryption_key_compromised=True) is Truth.NO
    assert exception_truth(harbour, encrypted=False) is Truth.NO


def test_risk_of_harm_exception() -> None:
    plain = {"type": "risk_of_harm"}
    assert exception_truth(plain, risk_of_harm="unlikely") is Truth.YES
    assert exception_truth(plain, risk_of_harm="unknown") is Truth.UNKNOWN
    assert exception_truth(plain, risk_of_harm="likely") is Truth.NO
    # New Hampshire: notice is owed when no determination can be made
    strict = {"type": "risk_of_harm", "when_unknown": "required"}
    assert exception_truth(strict, risk_of_harm="unknown") is Truth.NO
    # Maine: information brokers always notify
    maine = {"type": "risk_of_harm", "not_for_sectors": ["information_broker"]}
    assert (
        exception_truth(maine, risk_of_harm="unlikely", org={"sectors": ["information_broker"]})
        is Truth.NO
    )


def test_an_unverified_exception_never_removes_an_obligation_on_its_own() -> None:
    data = {"type": "risk_of_harm", "unverified": True}
    assert exception_truth(data, risk_of_harm="unlikely") is Truth.UNKNOWN


def test_unknown_exception_type() -> None:
    problems = Problems()
    assert parse_exception({"type": "encryption"}, ("exceptions", 0), problems) is None
    assert "encryption_safe_harbour" in str(problems.items[0])
