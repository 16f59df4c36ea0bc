"""Properties of the engine over generated facts (Hypothesis): more affected people never
remove an obligation, no deadline falls before its clock starts, the same input always gives
the same output, and nothing given to the engine is changed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candor.domain.obligations.condition_types import AffectedCondition
from candor.domain.obligations.conditions import AllOf, AnyOf, Condition, Not
from candor.domain.obligations.facts import parse_facts
from candor.domain.obligations.model import Rule
from candor.domain.obligations.results import Evaluation
from candor.domain.obligations.vocabulary import (
    Comparison,
    DataElement,
    DataRole,
    Determination,
    RiskLevel,
    Sector,
)
from tests.unit.obligations.support import builtin, run

PLACES = [
    "US-CA",
    "US-TX",
    "US-NY",
    "US-FL",
    "US-MA",
    "US-SD",
    "US-GA",
    "US-OK",
    "US-PA",
    "DE",
    "FR",
    "IE",
    "GB",
    "BR",
    "SG",
    "JP",
    "KR",
    "AU",
    "CA-ON",
    "CA-QC",
    "IN",
    "ZA",
    "NZ",
    "CN",
    "CH",
]
EVENTS = [
    "US-CA/individuals",
    "US-VT/individuals",
    "eu-dora-initial",
    "eu-dora-intermediate",
    "eu-nis2-23-4b",
    "us-hipaa-164-404",
    "us-fcc-cpni",
]
# Counts at and around every threshold in the rules, so the properties cross them often.
EDGES = [
    0,
    1,
    49,
    50,
    249,
    250,
    251,
    499,
    500,
    501,
    999,
    1000,
    1001,
    4999,
    5000,
    5001,
    9999,
    10000,
    10001,
]
COUNTS = st.one_of(st.sampled_from(EDGES), st.integers(min_value=0, max_value=20000))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def later(start: datetime, hours: int) -> str:
    return (start + timedelta(hours=hours)).isoformat()


@st.composite
def facts_data(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(
        st.datetimes(
            min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
        )
    )
    offset = st.integers(min_value=0, max_value=24 * 40)
    maybe_time = st.one_of(st.none(), offset.map(lambda h: later(start, h)))
    org = {
        "name": "Generated",
        "roles": draw(
            st.lists(
                st.sampled_from([r.value for r in DataRole]), min_size=1, max_size=3, unique=True
            )
        ),
        "sectors": draw(
            st.lists(st.sampled_from([s.value for s in Sector]), max_size=4, unique=True)
        ),
        "establishments": draw(
            st.lists(
                st.sampled_from(["US-DE", "IE", "DE", "GB", "BR", "CH", "CN", "CA-QC"]),
                max_size=3,
                unique=True,
            )
        ),
    }
    incident = {
        "discovered_at": start.isoformat(),
        "aware_at": later(start, draw(st.integers(min_value=0, max_value=72))),
        "breach_determined_at": draw(maybe_time),
        "materiality_determined_at": draw(maybe_time),
        "classified_major_at": draw(maybe_time),
        "ransom_paid_at": draw(maybe_time),
        "data_elements": draw(
            st.lists(st.sampled_from([e.value for e in DataElement]), max_size=6, unique=True)
        ),
        "encrypted": draw(st.booleans()),
        "encryption_key_compromised": draw(st.booleans()),
        "risk_of_harm": draw(st.sampled_from([r.value for r in RiskLevel])),
        "affected": draw(st.dictionaries(st.sampled_from(PLACES), COUNTS, max_size=6)),
        "notified": draw(
            st.dictionaries(
                st.sampled_from(EVENTS), offset.map(lambda h: later(start, h)), max_size=3
            )
        ),
        "determinations": draw(
            st.dictionaries(
                st.sampled_from([d.value for d in Determination]), st.booleans(), max_size=4
            )
        ),
        "law_enforcement_delay_until": draw(maybe_time),
    }
    return {"organization": org, "incident": incident}


def _decreasing(condition: Condition, *, negated: bool = False) -> bool:
    """A condition that more people can turn false (HIPAA's annual log: fewer than 500), minding
    negation (not "more than N" is "at most N")."""
    if isinstance(condition, AffectedCondition):
        smaller = condition.op in (Comparison.LT, Comparison.LE)
        return smaller != negated
    if isinstance(condition, AllOf | AnyOf):
        return any(_decreasing(c, negated=negated) for c in condition.conditions)
    if isinstance(condition, Not):
        return _decreasing(condition.condition, negated=not negated)
    return False


def key(rule: Rule, jurisdiction: str) -> tuple[str, ...]:
    if any(_decreasing(c) for c in rule.conditions):
        # the annual log becomes the immediate notice to the same recipient
        category = rule.recipient_category.value if rule.recipient_category else rule.kind.value
        return (jurisdiction, category)
    return (rule.id, jurisdiction)


def owed(evaluation: Evaluation) -> set[tuple[str, ...]]:
    out = set()
    for item in (*evaluation.obligations, *evaluation.duties):
        out.add(key(item.rule, item.jurisdiction))
        category = item.rule.recipient_category
        out.add((item.jurisdiction, category.value if category else item.rule.kind.value))
    return out


@SETTINGS
@given(
    data=facts_data(),
    place=st.sampled_from(PLACES),
    more=st.one_of(st.sampled_from([1, 2]), st.integers(min_value=1, max_value=20000)),
)
def test_adding_affected_people_never_removes_an_obligation(
    data: dict[str, Any], place: str, more: int
) -> None:
    before = run(parse_facts(data))
    bigger = copy.deepcopy(data)
    bigger["incident"]["affected"][place] = bigger["incident"]["affected"].get(place, 0) + more
    after = run(parse_facts(bigger))
    assert owed(before) <= owed(after)


@SETTINGS
@given(data=facts_data())
def test_every_deadline_is_at_or_after_its_trigger(data: dict[str, Any]) -> None:
    result = run(parse_facts(data))
    for item in (*result.obligations, *result.duties):
        if item.deadline is not None and item.trigger_at is not None:
            assert item.deadline >= item.trigger_at, (item.rule.id, item.rationale)


@SETTINGS
@given(data=facts_data())
def test_evaluation_is_deterministic_and_ignores_the_order_of_the_facts(
    data: dict[str, Any],
) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    first = run(parse_facts(data), now=now).as_dict()
    reordered = copy.deepcopy(data)
    incident = reordered["incident"]
    incident["affected"] = dict(reversed(list(incident["affected"].items())))
    incident["data_elements"] = list(reversed(incident["data_elements"]))
    reordered["organization"]["sectors"] = list(reversed(reordered["organization"]["sectors"]))
    assert run(parse_facts(reordered), now=now).as_dict() == first
    assert run(parse_facts(data), now=now).as_dict() == first


@SETTINGS
@given(data=facts_data())
def test_the_engine_never_changes_its_input(data: dict[str, Any]) -> None:
    raw = copy.deepcopy(data)
    facts = parse_facts(data)
    assert data == raw  # parsing leaves the document alone
    facts_before = repr(facts)
    rules = builtin()
    rules_before = (repr(rules.all()), rules.order)
    run(facts, rules)
    assert repr(facts) == facts_before
    assert (repr(rules.all()), rules.order) == rules_before
