"""The incident use cases, run on the fake and on SQLite and PostgreSQL (one conformance suite)."""

from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest

from candor.domain.audit import AuditFilter
from candor.domain.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from candor.domain.incidents import warnings
from candor.domain.lifecycle import Phase
from candor.domain.tasks import TaskStatus
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Confidentiality, Role, Severity
from candor.services import audit, incidents, tasks, timeline
from candor.services.context import Context
from candor.services.ports import IncidentFilter
from tests.conftest import ADMIN, ALICE, BOB, VIEWER
from tests.fakes import FakeClock


def test_keys_are_numbered_per_year(any_ctx: Context) -> None:
    first = incidents.declare(any_ctx, ALICE, title="One")
    second = incidents.declare(any_ctx, ALICE, title="Two")
    assert (first.key, second.key) == ("INC-2026-1", "INC-2026-2")
    assert isinstance(any_ctx.clock, FakeClock)
    any_ctx.clock.current = any_ctx.clock.current.replace(year=2027)
    assert incidents.declare(any_ctx, ALICE, title="Three").key == "INC-2027-1"


def test_declare_then_read_back_everything(any_ctx: Context) -> None:
    assert isinstance(any_ctx.clock, FakeClock)
    detected = any_ctx.clock.now() - timedelta(hours=3)
    made = incidents.declare(
        any_ctx,
        ALICE,
        title="Customer reports AWS activity",
        summary="PGP mail",
        kind="supply_chain_breach",
        severity="SEV1",
        detected_at=detected,
        aware_at=detected + timedelta(hours=1),
    )
    got = incidents.get(any_ctx, BOB, made.key.lower())
    assert got == made
    assert got.clocks[incidents.Clock.DETECTED_AT] == detected
    entries = timeline.show(any_ctx, BOB, made.key)
    assert [e.kind for e in entries] == [EntryKind.STATUS_CHANGE]
    assert "Declared" in entries[0].body


def test_phase_role_and_clock_changes_land_on_the_timeline_and_in_the_audit(
    any_ctx: Context,
) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Leaked token")
    incidents.assign_role(any_ctx, ALICE, made.key, Role.INCIDENT_LEAD, "alice")
    after = incidents.assign_role(any_ctx, ALICE, made.key, Role.TECHNICAL_LEAD, "alice")
    assert after.version == 3
    stored = incidents.get(any_ctx, ALICE, made.key)
    assert [w.code for w in warnings(stored)] == ["lead-is-investigator"]
    incidents.transition(any_ctx, ALICE, made.key, Phase.MITIGATION, reason="token revoked")
    incidents.set_clock(any_ctx, ALICE, made.key, "aware_at", any_ctx.clock.now())
    kinds = [e.kind for e in timeline.show(any_ctx, ALICE, made.key)]
    assert kinds == [
        EntryKind.STATUS_CHANGE,
        EntryKind.ROLE_CHANGE,
        EntryKind.ROLE_CHANGE,
        EntryKind.STATUS_CHANGE,
        EntryKind.DECISION,
    ]
    role_entry = timeline.show(any_ctx, ALICE, made.key)[2]
    assert "Warning" in role_entry.body
    actions = [
        r.action for r in audit.list_records(any_ctx, ADMIN, AuditFilter(action_prefix="incident."))
    ]
    assert actions == [
        "incident.set_clock",
        "incident.transition",
        "incident.assign_role",
        "incident.assign_role",
        "incident.declare",
    ]
    assert audit.verify(any_ctx, ADMIN).ok
    assert timeline.verify(any_ctx, ALICE, made.key).ok


def test_illegal_transition_changes_nothing(any_ctx: Context) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Scan")
    with pytest.raises(IllegalTransition):
        incidents.transition(any_ctx, ALICE, made.key, Phase.CLOSED)
    assert incidents.get(any_ctx, ALICE, made.key) == made
    assert len(timeline.show(any_ctx, ALICE, made.key)) == 1


def test_stale_version_is_a_conflict_and_nothing_is_lost(any_ctx: Context) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Phishing")
    incidents.update(any_ctx, ALICE, made.key, {"severity": "SEV2"}, expected_version=1)
    with pytest.raises(Conflict) as caught:
        incidents.update(any_ctx, BOB, made.key, {"title": "Phishing wave"}, expected_version=1)
    assert "version 2" in caught.value.message
    current = incidents.get(any_ctx, ALICE, made.key)
    assert current.severity is Severity.SEV2 and current.title == "Phishing"


def test_restricted_incidents_are_invisible_to_non_members(any_ctx: Context) -> None:
    secret = incidents.declare(any_ctx, ALICE, title="Insider", confidentiality="restricted")
    incidents.declare(any_ctx, ALICE, title="Public one")
    with pytest.raises(NotFound):
        incidents.get(any_ctx, BOB, secret.key)
    with pytest.raises(NotFound):
        timeline.show(any_ctx, VIEWER, secret.key)
    assert [i.title for i in incidents.list_incidents(any_ctx, BOB)] == ["Public one"]
    assert len(incidents.list_incidents(any_ctx, ADMIN)) == 2
    incidents.set_participants(any_ctx, ALICE, secret.key, add=("bob",))
    assert incidents.get(any_ctx, BOB, secret.key).confidentiality is Confidentiality.RESTRICTED
    assert len(incidents.list_incidents(any_ctx, BOB)) == 2


def test_viewers_read_but_cannot_write(any_ctx: Context) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Lost laptop")
    assert incidents.get(any_ctx, VIEWER, made.key).title == "Lost laptop"
    with pytest.raises(PermissionDenied):
        timeline.add(any_ctx, VIEWER, made.key, kind="note", body="hello")
    with pytest.raises(PermissionDenied):
        incidents.declare(any_ctx, VIEWER, title="nope")


def test_list_filters(any_ctx: Context) -> None:
    a = incidents.declare(any_ctx, ALICE, title="A", severity="SEV1")
    incidents.declare(any_ctx, ALICE, title="B", severity="SEV4")
    incidents.transition(any_ctx, ALICE, a.key, Phase.DECLINED, reason="false positive")
    open_ = incidents.list_incidents(any_ctx, ALICE, IncidentFilter(open_only=True))
    assert [i.title for i in open_] == ["B"]
    sev1 = incidents.list_incidents(any_ctx, ALICE, IncidentFilter(severity=Severity.SEV1))
    assert [i.title for i in sev1] == ["A"]


def test_filter_by_ids_and_declaration_time_and_people_in_a_role(any_ctx: Context) -> None:
    """What the dashboard's panels read instead of every incident in the workspace: only the
    incidents named (the ones with a retro), and who led incidents declared since a time."""
    assert isinstance(any_ctx.clock, FakeClock)
    old = incidents.declare(any_ctx, ALICE, title="Old")
    incidents.assign_role(any_ctx, ALICE, old.key, Role.INCIDENT_LEAD, "carol")
    any_ctx.clock.advance(days=200)
    since = any_ctx.clock.now()
    recent = incidents.declare(any_ctx, ALICE, title="Recent")
    incidents.assign_role(any_ctx, ALICE, recent.key, Role.INCIDENT_LEAD, "dan")
    hidden = incidents.declare(any_ctx, ALICE, title="Hidden", confidentiality="restricted")
    incidents.assign_role(any_ctx, ALICE, hidden.key, Role.INCIDENT_LEAD, "erin")
    ids = frozenset({old.id, hidden.id})
    with any_ctx.uow() as uow:
        chosen = uow.incidents.list(IncidentFilter(ids=ids, see_all=True))
        assert {i.title for i in chosen} == {"Old", "Hidden"}
        # need-to-know still applies on top of the ids
        assert [i.title for i in uow.incidents.list(IncidentFilter(ids=ids, member="bob"))] == [
            "Old"
        ]
        assert uow.incidents.list(IncidentFilter(ids=frozenset(), see_all=True)) == []
        after = uow.incidents.list(IncidentFilter(declared_after=since, see_all=True))
        assert {i.title for i in after} == {"Recent", "Hidden"}
        leads = uow.incidents.people_in_role
        assert leads(IncidentFilter(see_all=True), Role.INCIDENT_LEAD) == {"carol", "dan", "erin"}
        assert leads(IncidentFilter(declared_after=since, member="bob"), Role.INCIDENT_LEAD) == {
            "dan"
        }
        assert leads(IncidentFilter(declared_after=since, see_all=True), Role.SCRIBE) == set()
    assert recent.key != old.key


def test_a_read_snapshot_reads_each_incident_once_and_still_checks_need_to_know(
    any_ctx: Context,
) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Snapshot", confidentiality="restricted")
    with incidents.read_snapshot():
        with any_ctx.uow() as uow:
            assert incidents.load(uow, ALICE, made.key).title == "Snapshot"
        # a change made elsewhere (another request, the CLI) while the page is being built
        contextvars.Context().run(incidents.update, any_ctx, ALICE, made.key, {"title": "Renamed"})
        with any_ctx.uow() as uow:
            assert incidents.load(uow, ALICE, made.key.lower()).title == "Snapshot"
            with pytest.raises(NotFound):
                incidents.load(uow, BOB, made.key)
    with any_ctx.uow() as uow:
        assert incidents.load(uow, ALICE, made.key).title == "Renamed"


def test_timeline_entries_and_corrections(any_ctx: Context) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Token in public repo")
    wrong = timeline.add(
        any_ctx, ALICE, made.key, kind="finding", body="Token was public for 3 days"
    )
    fixed = timeline.add(
        any_ctx,
        BOB,
        made.key,
        kind="finding",
        body="Token was public for 3 hours, not days",
        corrects=wrong.seq,
    )
    assert fixed.kind is EntryKind.CORRECTION and fixed.corrects == wrong.seq
    assert [e.body for e in timeline.show(any_ctx, ALICE, made.key)][1:] == [
        "Token was public for 3 days",
        "Token was public for 3 hours, not days",
    ]
    with pytest.raises(NotFound):
        timeline.add(any_ctx, ALICE, made.key, kind="note", body="x", corrects=99)
    with pytest.raises(InvalidInput):
        timeline.add(any_ctx, ALICE, made.key, kind="status_change", body="forged")
    with pytest.raises(InvalidInput):
        timeline.add(
            any_ctx,
            ALICE,
            made.key,
            kind="note",
            body="later",
            occurred_at=any_ctx.clock.now() + timedelta(days=1),
        )


def test_tasks(any_ctx: Context) -> None:
    made = incidents.declare(any_ctx, ALICE, title="Ransomware on build server")
    first = tasks.add(
        any_ctx, ALICE, made.key, title="Isolate build server", owner="bob", phase="mitigation"
    )
    tasks.add(any_ctx, ALICE, made.key, title="Call insurer")
    assert first.seq == 1
    done = tasks.set_status(any_ctx, BOB, made.key, 1, TaskStatus.DONE)
    assert done.completed_at == any_ctx.clock.now()
    assert [t.title for t in tasks.list_tasks(any_ctx, ALICE, made.key, open_only=True)] == [
        "Call insurer"
    ]
    with pytest.raises(NotFound):
        tasks.set_status(any_ctx, ALICE, made.key, 9, TaskStatus.DONE)
    with pytest.raises(InvalidInput):
        tasks.set_status(any_ctx, ALICE, made.key, 1, TaskStatus.DONE)
