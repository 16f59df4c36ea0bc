"""An incident's facts: versions with what changed and each fact's source, every problem named
by its key, the incident's clocks as the times, filed notices as events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from candor.domain.errors import InvalidInput
from candor.domain.incidents import Clock as IncidentClock
from candor.domain.obligations.incident_facts import (
    ClocksMissing,
    FactChange,
    FactSource,
    Filed,
    Profile,
    compose,
    filed_events,
    from_text,
    revise,
    to_text,
)
from candor.domain.obligations.vocabulary import Clock

INCIDENT = uuid.uuid4()
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PROFILE = Profile(
    name="Example SaaS Inc.",
    roles=("controller",),
    establishments=("US-DE", "IE"),
    eu_main_establishment="IE",
    timezone="America/New_York",
)


def first(**changes: object):  # type: ignore[no-untyped-def]
    made = revise(
        None, changes, incident_id=INCIDENT, source=FactSource.MANUAL, by="alice", now=NOW
    )
    assert made is not None
    return made


def test_a_first_version_lists_every_fact_as_a_change_in_canonical_form() -> None:
    version = first(
        data_elements=["ssn", "name", "ssn"],
        affected={"US-TX": 1200, "DE": 3000},
        notified={"US-CA/individuals": "2026-11-20T10:00:00+01:00"},
    )
    assert version.version == 1 and version.recorded_by == "alice"
    assert version.facts["data_elements"].value == ["name", "ssn"]
    assert version.facts["affected"].value == {"DE": 3000, "US-TX": 1200}
    assert version.facts["notified"].value == {"US-CA/individuals": "2026-11-20T09:00:00Z"}
    assert {c.key for c in version.changes} == {"data_elements", "affected", "notified"}
    assert all(f.source is FactSource.MANUAL for f in version.facts.values())


def test_a_change_is_a_new_version_naming_only_what_changed() -> None:
    v1 = first(data_elements=["name", "ssn"], risk_of_harm="unknown", affected={"US-CA": 600})
    v2 = revise(
        v1,
        {"risk_of_harm": "likely", "affected": {"US-CA": 650}, "data_elements": ["ssn", "name"]},
        incident_id=INCIDENT,
        source=FactSource.SCOPING,
        by="bob",
        now=NOW,
        reason="counted from the logs",
    )
    assert v2 is not None and v2.version == 2 and v2.reason == "counted from the logs"
    assert [c.describe() for c in v2.changes] == [
        "risk_of_harm: unknown → likely",
        "affected: US-CA 600 → US-CA 650",
    ]
    # the reordered list is the same fact: it keeps its first source
    assert v2.facts["data_elements"].source is FactSource.MANUAL
    assert v2.facts["affected"].source is FactSource.SCOPING


def test_nothing_changed_gives_no_version_and_none_removes_a_fact() -> None:
    v1 = first(encrypted=True, risk_of_harm="high")
    assert (
        revise(v1, {"encrypted": True}, incident_id=INCIDENT, source="manual", by="a", now=NOW)
        is None
    )
    v2 = revise(v1, {"encrypted": None}, incident_id=INCIDENT, source="manual", by="a", now=NOW)
    assert v2 is not None and "encrypted" not in v2.facts
    assert [c.describe() for c in v2.changes] == ["encrypted: true → not recorded"]


def test_every_problem_is_named_by_its_key_with_the_allowed_words() -> None:
    with pytest.raises(InvalidInput) as caught:
        first(
            data_elements=["ssnn"],
            affected={"XX-CA": 1, "US-TX": -3},
            risk_of_harm="maybe",
            notified={"US-CA": "2026-11-20T10:00Z"},
        )
    shown = {p.field: p for p in caught.value.problems}
    assert set(shown) == {
        "data_elements[0]",
        "affected.XX-CA",
        "affected.US-TX",
        "risk_of_harm",
        "notified.US-CA",
    }
    assert "ssn" in shown["data_elements[0]"].message
    assert shown["data_elements[0]"].hint == "did you mean 'ssn'?"
    assert "allowed: high, likely, unknown, unlikely" in shown["risk_of_harm"].message


def test_times_belong_on_the_incident_and_unknown_keys_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        first(aware_at="2026-11-20T10:00Z", headcount=3)
    fields = {p.field: p for p in caught.value.problems}
    assert "legal clocks" in fields["aware_at"].message
    assert fields["aware_at"].hint == "candor incident set-time KEY aware_at TIME"
    assert "not an incident fact" in fields["headcount"].message


def test_facts_are_entered_by_people_inventory_or_scoping_only() -> None:
    with pytest.raises(InvalidInput, match="entered from manual, inventory, scoping"):
        revise(None, {"encrypted": False}, incident_id=INCIDENT, source="filing", by="a", now=NOW)


def test_compose_takes_times_from_the_incident_and_the_organisation_from_settings() -> None:
    version = first(data_elements=["name", "ssn"], affected={"US-CA": 600}, ransom_paid_at=None)
    clocks = {
        IncidentClock.DETECTED_AT: datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        IncidentClock.AWARE_AT: datetime(2026, 11, 20, 14, 0, tzinfo=UTC),
        IncidentClock.MATERIALITY_DETERMINED_AT: datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    }
    composed = compose(PROFILE, clocks, version)
    incident = composed.facts.incident
    assert incident.discovered_at == clocks[IncidentClock.DETECTED_AT]
    assert incident.aware_at == clocks[IncidentClock.AWARE_AT]
    assert incident.clocks[Clock.MATERIALITY_DETERMINED_AT] == datetime(
        2026, 11, 21, 9, 0, tzinfo=UTC
    )
    assert composed.facts.organization.eu_main_establishment == "IE"
    assert composed.sources["incident.aware_at"] == "incident"
    assert composed.sources["incident.affected"] == "manual"
    assert composed.sources["organization.establishments"] == "settings"
    assert composed.document["incident"]["discovered_at"] == "2026-11-20T09:00:00Z"


def test_without_detected_or_aware_time_no_deadline_can_be_counted() -> None:
    with pytest.raises(ClocksMissing, match="aware_at"):
        compose(PROFILE, {}, first(encrypted=False))


def test_filed_notices_become_events_and_the_earliest_one_counts() -> None:
    aware = {IncidentClock.AWARE_AT: datetime(2026, 11, 20, 14, 0, tzinfo=UTC)}
    version = first(notified={"US-CA/individuals": "2026-11-21T10:00:00Z"})
    filings = [
        Filed("us-ca-individuals", "US-CA", "individuals", False, NOW, 4),
        Filed(
            "us-hipaa-media", "US-TX", "media", True, datetime(2026, 11, 21, 8, 0, tzinfo=UTC), 7
        ),
    ]
    composed = compose(PROFILE, aware, version, filings)
    notified = composed.document["incident"]["notified"]
    # entered by hand earlier than the filing: the hand-entered time stands
    assert notified["US-CA/individuals"] == "2026-11-21T10:00:00Z"
    assert composed.sources["incident.notified.US-CA/individuals"] == "manual"
    assert notified["us-ca-individuals"] == "2026-11-22T12:00:00Z"
    assert composed.sources["incident.notified.us-ca-individuals"] == "filing #4"
    # a per-state rule's id names every state's notice: only the state's event is recorded
    assert "us-hipaa-media" not in notified
    assert notified["US-TX/media"] == "2026-11-21T08:00:00Z"


def test_filed_events_of_rules_without_a_place_name_the_rule_only() -> None:
    events = filed_events([Filed("eu-dora-initial", "EU", "authority", False, NOW, 1)])
    assert set(events) == {"eu-dora-initial", "EU/authority"}
    assert set(filed_events([Filed("au-ndb-assess", "AU", None, False, NOW, 2)])) == {
        "au-ndb-assess"
    }


def test_facts_typed_as_text_read_back_the_same() -> None:
    assert from_text("affected", "US-CA 600\nUS-TX=1,200\n  DE: 3000\n") == {
        "US-CA": 600,
        "US-TX": 1200,
        "DE": 3000,
    }
    assert from_text("determinations", "significant_incident yes\nlarge_scale no") == {
        "significant_incident": True,
        "large_scale": False,
    }
    assert from_text("data_elements", "name, ssn email_address") == ["name", "ssn", "email_address"]
    assert from_text("encrypted", "No") is False
    assert from_text("notice_cost_estimate", "12,500") == 12500.0
    assert from_text("affected", "   ") is None
    version = first(
        affected=from_text("affected", "US-CA 600\nDE 3000"),
        notified=from_text("notified", "US-CA/individuals 2026-11-20T10:00Z"),
        encrypted=from_text("encrypted", "yes"),
        notice_cost_estimate=from_text("notice_cost_estimate", "5000"),
    )
    for key, fact in version.facts.items():
        assert from_text(key, to_text(key, fact.value)) == fact.value
    assert to_text("notified", version.facts["notified"].value) == (
        "US-CA/individuals 2026-11-20T10:00:00Z"
    )


def test_text_that_is_not_a_fact_names_the_line() -> None:
    with pytest.raises(InvalidInput, match="line 2: 'Texas' is not NAME VALUE"):
        from_text("affected", "US-CA 600\nTexas")
    with pytest.raises(InvalidInput, match="answer yes or no"):
        from_text("encrypted", "perhaps")
    with pytest.raises(InvalidInput, match="not an incident fact"):
        from_text("head_count", "3")


def test_a_long_list_is_named_by_its_first_items_and_counted() -> None:
    """A breach affecting 100,000 customers: the timeline line stays readable and short."""
    customers = [f"customer-{n:06d}" for n in range(100_000)]
    change = FactChange("affected_customers", None, customers, FactSource.SCOPING)
    line = change.describe()
    assert line.startswith("affected_customers: not recorded → customer-000000, customer-000001")
    assert line.endswith("and 99,980 more (100,000 in all)")
    assert len(line) < 2_000
    assert FactChange("note", "x" * 10_000, None, FactSource.MANUAL).describe().count("x") < 600
