"""The facts file: the issue's example parses; every mistake is reported at once, at its key,
naming the unknown word and the allowed ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.obligations.facts import parse_facts
from candor.domain.obligations.reporting import check_facts
from candor.domain.obligations.vocabulary import Clock, DataElement, Determination, RiskLevel
from tests.unit.obligations.support import builtin, facts_dict, make_facts

ISSUE_EXAMPLE = {
    "organization": {
        "name": "Example SaaS Inc.",
        "roles": ["controller"],
        "sectors": [],
        "establishments": ["US-DE", "IE"],
        "eu_main_establishment": "IE",
    },
    "incident": {
        "discovered_at": datetime.fromisoformat("2026-03-02T09:00:00-05:00"),
        "aware_at": "2026-03-02T14:00:00Z",
        "breach_determined_at": None,
        "materiality_determined_at": None,
        "classified_major_at": None,
        "ransom_paid_at": None,
        "data_elements": ["name", "ssn"],
        "encrypted": False,
        "encryption_key_compromised": False,
        "risk_of_harm": "unknown",
        "affected": {"US-TX": 1200, "US-CA": 600, "DE": 3000},
        "notified": {},
    },
}


def problems_of(data: object) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_facts(data)
    return [str(p) for p in caught.value.problems]


def test_the_issue_example_parses() -> None:
    facts = parse_facts(ISSUE_EXAMPLE)
    incident = facts.incident
    assert incident.discovered_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert incident.aware_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert incident.data_elements == {DataElement.NAME, DataElement.SSN}
    assert incident.risk_of_harm is RiskLevel.UNKNOWN
    assert incident.count("US") == 1800
    assert incident.count("US-CA") == 600
    assert incident.count("*") == 4800
    assert facts.organization.eu_main_establishment == "IE"
    assert facts.established_in("US")
    assert facts.established_in("IE")
    assert not facts.established_in("US-CA")


def test_aware_at_defaults_to_discovered_at() -> None:
    facts = make_facts(discovered_at="2026-05-01T08:00:00+02:00")
    assert facts.incident.aware_at == datetime(2026, 5, 1, 6, 0, tzinfo=UTC)


def test_recorded_determinations_and_clocks() -> None:
    facts = make_facts(
        materiality_determined_at="2026-03-05T10:00:00-05:00",
        determinations={
            "significant_incident": True,
            "large_scale": False,
            "notification_incident": "2026-03-03T09:00:00Z",
        },
    )
    incident = facts.incident
    assert incident.clocks[Clock.MATERIALITY_DETERMINED_AT] == datetime(
        2026, 3, 5, 15, 0, tzinfo=UTC
    )
    assert incident.determinations[Determination.SIGNIFICANT_INCIDENT] is True
    assert incident.determinations[Determination.LARGE_SCALE] is False
    assert incident.determinations[Determination.NOTIFICATION_INCIDENT] is True
    assert Determination.NOTIFICATION_INCIDENT in incident.determined_at


def test_unknown_data_element_names_the_word_and_the_allowed_ones() -> None:
    [problem] = problems_of(facts_dict(data_elements=["name", "social_security"]))
    assert "incident.data_elements[1]" in problem
    assert "'social_security'" in problem
    assert "ssn" in problem
    assert "payment_card_with_security_code" in problem


def test_unknown_sector_and_role_and_risk_are_all_reported_at_once() -> None:
    data = facts_dict({"sectors": ["hipaa"], "roles": ["owner"]}, risk_of_harm="medium")
    problems = problems_of(data)
    assert len(problems) == 3
    text = "\n".join(problems)
    assert "'hipaa'" in text
    assert "hipaa_covered_entity" in text
    assert "'owner'" in text
    assert "controller, processor, vendor" in text
    assert "'medium'" in text
    assert "unlikely" in text


def test_unknown_jurisdiction_codes() -> None:
    data = facts_dict(
        {"establishments": ["XX"]}, affected={"US-ZZ": 3, "EU": 10, "DE-BY": 1, "Us-CA": 2}
    )
    text = "\n".join(problems_of(data))
    assert "unknown country code 'XX'" in text
    assert "unknown subdivision 'US-ZZ'" in text
    assert "US-CA" in text
    assert "'EU' is not a place" in text
    assert "write the country code 'DE'" in text
    assert "Us-CA" in text


def test_affected_counts_must_be_whole_numbers() -> None:
    text = "\n".join(problems_of(facts_dict(affected={"US-TX": -1, "US-CA": "many"})))
    assert text.count("whole number of people") == 2


def test_a_time_without_a_zone_is_refused() -> None:
    [problem] = problems_of(facts_dict(discovered_at="2026-03-02T14:00:00"))
    assert "incident.discovered_at" in problem
    assert "no time zone" in problem


def test_one_of_discovered_at_or_aware_at_is_required() -> None:
    data = facts_dict()
    del data["incident"]["discovered_at"]
    [problem] = problems_of(data)
    assert "'discovered_at' or 'aware_at' is required" in problem


def test_unknown_keys_are_typos_with_a_suggestion() -> None:
    data = facts_dict(data_element=["name"])
    [problem] = problems_of(data)
    assert "unknown key 'data_element'" in problem
    assert "did you mean 'data_elements'?" in problem


def test_notified_keys() -> None:
    good = make_facts(
        notified={
            "US-CA/individuals": "2026-03-20T10:00:00Z",
            "eu-dora-initial": "2026-03-02T18:00:00Z",
            "eu-nis2-23-4c/requested": "2026-03-04T10:00:00Z",
        }
    )
    assert set(good.incident.notified) == {
        "US-CA/individuals",
        "eu-dora-initial",
        "eu-nis2-23-4c/requested",
    }
    text = "\n".join(
        problems_of(
            facts_dict(
                notified={
                    "US-CA": "2026-03-20T10:00:00Z",
                    "US-CA/regulators": "2026-03-20T10:00:00Z",
                    "not a key": "2026-03-20T10:00:00Z",
                }
            )
        )
    )
    assert "names a place but not who was notified" in text
    assert "'regulators'" in text
    assert "authority" in text
    assert "not an event key" in text


def test_notified_rule_ids_must_exist() -> None:
    facts = make_facts(
        notified={
            "eu-dora-intial": "2026-03-02T18:00:00Z",
            "us-ca-individuals": "2026-03-20T10:00:00Z",
        }
    )
    problems = check_facts(facts, builtin())
    assert [p.path for p in problems] == [("incident", "notified", "eu-dora-intial")]


def test_unknown_determination_is_refused() -> None:
    [problem] = problems_of(facts_dict(determinations={"material": True}))
    assert "'material'" in problem
    assert "significant_incident" in problem


def test_top_level_must_be_a_mapping() -> None:
    assert problems_of(["not", "a", "mapping"]) == [
        "the facts document must be a mapping of keys to values"
    ]
