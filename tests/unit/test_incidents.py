"""Declaring and changing incidents: validation names the field; roles warn, never block."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from candor.domain import incidents
from candor.domain.errors import InvalidInput
from candor.domain.incidents import Clock
from candor.domain.vocabulary import SEVERITY_DEFINITIONS, Kind, Role, Severity

NOW = datetime(2026, 7, 6, 8, 0, tzinfo=UTC)


def declare(**kwargs: object) -> incidents.Incident:
    args: dict[str, object] = {
        "id": uuid.uuid4(),
        "key": "INC-2026-3",
        "title": "Leaked key",
        "by": "alice",
        "now": NOW,
    }
    args.update(kwargs)
    return incidents.declare(**args)  # type: ignore[arg-type]


def test_every_severity_has_a_written_definition() -> None:
    assert set(SEVERITY_DEFINITIONS) == set(Severity)
    assert all(len(text) > 40 for text in SEVERITY_DEFINITIONS.values())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "breach"}, "kind"),
        ({"severity": "SEV0"}, "severity"),
        ({"confidentiality": "secret"}, "confidentiality"),
        ({"by": "Alice Smith"}, "declared_by"),
        ({"aware_at": NOW + timedelta(hours=1)}, "aware_at"),
        ({"detected_at": NOW, "aware_at": NOW - timedelta(hours=1)}, "aware_at"),
        ({"aware_at": datetime(2026, 7, 6, 7, 0)}, "aware_at"),
    ],
)
def test_invalid_declarations_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        declare(**kwargs)
    assert field in {p.field for p in caught.value.problems}


def test_all_text_problems_are_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        declare(title="", summary="s" * 20_001)
    assert {p.field for p in caught.value.problems} == {"title", "summary"}


def test_incident_keys_are_checked() -> None:
    with pytest.raises(InvalidInput):
        declare(key="INC-26-1")
    assert incidents.parse_key("inc-2026-12") == (2026, 12)


def test_lead_who_is_also_technical_lead_gets_a_warning_not_an_error() -> None:
    incident = declare()
    assert [w.code for w in incidents.warnings(incident)] == ["no-lead"]
    incident = incidents.assign_role(incident, Role.INCIDENT_LEAD, "alice", now=NOW)
    incident = incidents.assign_role(incident, "technical_lead", "alice", now=NOW)
    codes = [w.code for w in incidents.warnings(incident)]
    assert codes == ["lead-is-investigator"]
    incident = incidents.assign_role(incident, Role.TECHNICAL_LEAD, "bob", now=NOW)
    assert incidents.warnings(incident) == []


def test_breaches_ask_for_a_comms_lead_and_the_awareness_time() -> None:
    incident = declare(kind=Kind.PERSONAL_DATA_BREACH)
    incident = incidents.assign_role(incident, Role.INCIDENT_LEAD, "carol", now=NOW)
    assert {w.code for w in incidents.warnings(incident)} == {"no-comms-lead", "no-aware-at"}
    incident = incidents.set_clock(incident, Clock.AWARE_AT, NOW - timedelta(hours=2), now=NOW)
    incident = incidents.assign_role(incident, Role.COMMS_LEAD, "dan", now=NOW)
    assert incidents.warnings(incident) == []


def test_update_returns_a_new_value_and_diff_lists_the_changes() -> None:
    before = declare()
    after = incidents.update(before, {"severity": "SEV1", "title": "Leaked AWS key"}, now=NOW)
    assert before.severity is Severity.SEV3
    assert incidents.diff(before, after) == {
        "title": ("Leaked key", "Leaked AWS key"),
        "severity": (Severity.SEV3, Severity.SEV1),
    }


def test_update_refuses_fields_that_are_not_editable() -> None:
    with pytest.raises(InvalidInput) as caught:
        incidents.update(declare(), {"phase": "closed", "key": "INC-2026-9"}, now=NOW)
    assert {p.field for p in caught.value.problems} == {"phase", "key"}


def test_members_include_roles_participants_and_declarer() -> None:
    incident = declare()
    incident = incidents.assign_role(incident, Role.COUNSEL, "erin", now=NOW)
    incident = incidents.set_participants(incident, add=("frank",), now=NOW)
    assert incident.members == {"alice", "erin", "frank"}
