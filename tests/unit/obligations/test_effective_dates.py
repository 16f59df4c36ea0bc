"""The rule in force on the awareness date applies: the same facts before and after
California's SB 446 (2026-01-01) and New York's December 2024 and March 2025 changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.unit.obligations.support import finding, make_facts, reason, run


def california(discovered: str, **extra: object):  # type: ignore[no-untyped-def]
    facts = make_facts(affected={"US-CA": 800}, discovered_at=discovered, **extra)
    return run(facts)


def test_california_before_sb_446_no_fixed_period_and_the_ag_gets_a_sample_copy() -> None:
    result = california("2025-11-20T17:00:00Z")
    residents = finding(result, "us-ca-individuals")
    assert residents.deadline is None
    assert residents.rule.deadline.standard == (
        "most expedient time possible and without unreasonable delay"
    )
    ag = finding(result, "us-ca-regulator")
    assert ag.status.value == "required"  # no clock to wait for: submit with the notice
    assert ag.rule.verified is False  # the earlier timing is general knowledge


def test_california_after_sb_446_thirty_days_and_the_ag_fifteen_days_after() -> None:
    result = california("2026-01-05T17:00:00Z")
    residents = finding(result, "us-ca-individuals")
    assert residents.deadline == datetime(2026, 2, 5, 7, 59, tzinfo=UTC)  # 4 Feb 23:59 PST
    ag = finding(result, "us-ca-regulator")
    assert ag.status.value == "pending_trigger"
    notified = california(
        "2026-01-05T17:00:00Z", notified={"US-CA/individuals": "2026-01-20T18:00:00Z"}
    )
    assert finding(notified, "us-ca-regulator").deadline == datetime(2026, 2, 5, 7, 59, tzinfo=UTC)


def test_california_the_same_facts_judged_by_either_law() -> None:
    facts = make_facts(affected={"US-CA": 800}, discovered_at="2025-12-15T17:00:00Z")
    before = finding(run(facts), "us-ca-individuals")
    after = finding(run(facts, rules_date=date(2026, 1, 1)), "us-ca-individuals")
    assert before.deadline is None
    assert after.deadline == datetime(2026, 1, 15, 7, 59, tzinfo=UTC)


def new_york(discovered: str, data: list[str]):  # type: ignore[no-untyped-def]
    return run(make_facts(affected={"US-NY": 50}, discovered_at=discovered, data_elements=data))


def test_new_york_before_december_2024_no_fixed_period() -> None:
    result = new_york("2024-12-20T15:00:00Z", ["name", "ssn"])
    assert finding(result, "us-ny-individuals").deadline is None


def test_new_york_from_21_december_2024_thirty_days() -> None:
    result = new_york("2024-12-21T15:00:00Z", ["name", "ssn"])
    assert finding(result, "us-ny-individuals").deadline == datetime(2025, 1, 21, 4, 59, tzinfo=UTC)


def test_new_york_medical_information_counts_from_21_march_2025() -> None:
    before = new_york("2025-03-20T15:00:00Z", ["name", "medical"])
    assert "is not covered" in reason(before, "us-ny-individuals")
    after = new_york("2025-03-21T15:00:00Z", ["name", "medical"])
    assert finding(after, "us-ny-individuals").deadline == datetime(2025, 4, 21, 3, 59, tzinfo=UTC)


def test_pennsylvania_consumer_reporting_threshold_fell_with_act_33() -> None:
    facts_before = make_facts(affected={"US-PA": 600}, discovered_at="2024-08-01T15:00:00Z")
    assert "1,000" in reason(run(facts_before), "us-pa-cra")
    facts_after = make_facts(affected={"US-PA": 600}, discovered_at="2024-10-01T15:00:00Z")
    assert finding(run(facts_after), "us-pa-cra").status.value == "required"


def test_uk_pecr_went_from_24_to_72_hours() -> None:
    org = {"sectors": ["telecom_carrier"], "establishments": ["GB"]}
    before = run(make_facts(org, discovered_at="2025-08-19T10:00:00Z"))
    after = run(make_facts(org, discovered_at="2025-08-20T10:00:00Z"))
    assert finding(before, "uk-pecr-5a").deadline == datetime(2025, 8, 20, 10, 0, tzinfo=UTC)
    assert finding(after, "uk-pecr-5a").deadline == datetime(2025, 8, 23, 10, 0, tzinfo=UTC)


def test_circia_is_listed_as_not_in_force() -> None:
    result = run(make_facts({"sectors": ["critical_infrastructure"]}))
    assert reason(result, "us-circia").startswith("not in force: CISA's final rule")
