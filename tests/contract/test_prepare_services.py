"""Prepare use cases on SQLite and PostgreSQL: playbooks at declaration, the contacts directory
with its audit trail, a whole tabletop exercise with its report, practice runs, readiness."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from candor.adapters import prepare_files, untracked
from candor.domain.access import Actor
from candor.domain.audit import AuditFilter
from candor.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from candor.domain.exercises import Observation, Outcome, Result
from candor.domain.incidents import Incident
from candor.domain.lifecycle import Phase
from candor.domain.readiness import Status
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Role
from candor.services import (
    audit,
    contacts,
    exercises,
    incidents,
    playbooks,
    readiness,
    statements,
    tasks,
)
from candor.services import timeline as timeline_service
from candor.services.context import Context
from candor.services.notice_records import StatementNoticeRecords
from candor.services.ports import UnitOfWork
from tests.conftest import ADMIN, ALICE, BOB, PEOPLE, VIEWER
from tests.fakes import FakeClock

PLAYBOOKS = prepare_files.load_playbooks().require()
SCENARIOS = prepare_files.load_scenarios().require()
ERIN = Actor("erin", PEOPLE["erin"])


def clock_of(ctx: Context) -> FakeClock:
    assert isinstance(ctx.clock, FakeClock)
    return ctx.clock


def actions(ctx: Context) -> list[str]:
    return [r.action for r in reversed(audit.list_records(ctx, ADMIN, AuditFilter(limit=1000)))]


def test_declaring_with_a_playbook_creates_its_tasks_in_one_go(sql_ctx: Context) -> None:
    book = PLAYBOOKS.get("leaked-secret").value
    incident, created = playbooks.declare(sql_ctx, ALICE, book, title="Token in a public repo")
    assert [t.title for t in created] == [t.title for t in book.tasks]
    stored = tasks.list_tasks(sql_ctx, ALICE, incident.key)
    assert {t.source for t in stored} == {"playbook:leaked-secret"}
    first = stored[0]
    assert first.phase is Phase.TRIAGE and first.due_at == incident.declared_at + timedelta(
        minutes=15
    )
    assert first.owner is None and first.notes.startswith("Owner: the technical lead.")
    entries = timeline_service.show(sql_ctx, ALICE, incident.key)
    assert entries[1].kind is EntryKind.SYSTEM and entries[1].data["playbook"] == "leaked-secret"
    assert actions(sql_ctx).count("task.add") == len(book.tasks)
    assert "playbook.apply" in actions(sql_ctx)
    with pytest.raises(Conflict, match="already applied"):
        playbooks.apply(sql_ctx, ALICE, incident.key, book)


def test_a_playbook_applied_later_gives_tasks_to_whoever_holds_the_role(sql_ctx: Context) -> None:
    made = incidents.declare(sql_ctx, ALICE, title="Laptop stolen")
    incidents.assign_role(sql_ctx, ALICE, made.key, Role.TECHNICAL_LEAD, "bob")
    created = playbooks.apply(sql_ctx, ALICE, made.key, PLAYBOOKS.get("lost-device").value)
    assert {t.owner for t in created if "device management" in t.title} == {"bob"}
    with pytest.raises(NotFound):
        playbooks.apply(sql_ctx, ALICE, "INC-2026-99", PLAYBOOKS.get("lost-device").value)


def test_a_failed_declaration_leaves_nothing_behind(sql_ctx: Context) -> None:
    with pytest.raises(InvalidInput):
        playbooks.declare(sql_ctx, ALICE, PLAYBOOKS.get("ransomware").value, title=" ")
    assert incidents.list_incidents(sql_ctx, ALICE) == []


COUNSEL = {
    "category": "outside_counsel",
    "organisation": "Acme LLP",
    "people": [{"name": "Dana Reyes", "email": "dana@acme.example"}],
    "retainer": {"in_place": True, "hours": 40, "expires_on": "2027-06-30"},
}


def test_contacts_crud_staleness_and_audit(sql_ctx: Context) -> None:
    clock = clock_of(sql_ctx)
    made = contacts.add(sql_ctx, ALICE, "acme-law", COUNSEL)
    assert made.is_stale(clock.now())  # never verified
    assert contacts.get(sql_ctx, BOB, "acme-law") == made
    with pytest.raises(Conflict, match="exists"):
        contacts.add(sql_ctx, ALICE, "acme-law", COUNSEL)
    verified = contacts.verify(sql_ctx, ALICE, "acme-law", note="called Dana")
    assert verified.version == 2 and verified.details.last_verified_on == clock.now().date()
    assert contacts.list_contacts(sql_ctx, ALICE, stale_only=True) == []
    clock.advance(days=181)
    assert [c.handle for c in contacts.list_contacts(sql_ctx, ALICE, stale_only=True)] == [
        "acme-law"
    ]
    changed = contacts.update(
        sql_ctx, BOB, "acme-law", {**COUNSEL, "organisation": "Acme & Co LLP"}
    )
    assert changed.version == 3 and changed.details.organisation == "Acme & Co LLP"
    with pytest.raises(Conflict):
        contacts.update(sql_ctx, BOB, "acme-law", COUNSEL, expected_version=2)
    contacts.remove(sql_ctx, ALICE, "acme-law", reason="firm dissolved")
    with pytest.raises(NotFound):
        contacts.get(sql_ctx, ALICE, "acme-law")
    assert actions(sql_ctx) == [
        "contact.add",
        "contact.verify",
        "contact.update",
        "contact.remove",
    ]
    [removal] = audit.list_records(sql_ctx, ADMIN, AuditFilter(action_prefix="contact.remove"))
    assert removal.detail == "firm dissolved" and '"Acme & Co LLP"' in (removal.before_json or "")
    with pytest.raises(PermissionDenied):
        contacts.add(sql_ctx, VIEWER, "x", COUNSEL)


def test_import_adds_updates_and_leaves_the_rest(sql_ctx: Context) -> None:
    from candor.domain.contacts import details_from

    contacts.add(sql_ctx, ALICE, "acme-law", COUNSEL)
    insurer = details_from(
        {"category": "insurer", "organisation": "Ins", "notice": {"text": "48h", "hours": 48}}
    )
    first = contacts.import_contacts(
        sql_ctx, ALICE, [("acme-law", details_from(COUNSEL)), ("ins", insurer)]
    )
    assert (first.added, first.updated, first.unchanged) == (("ins",), (), ("acme-law",))
    again = contacts.import_contacts(
        sql_ctx, ALICE, [("acme-law", details_from({**COUNSEL, "notes": "new"}))]
    )
    assert again.updated == ("acme-law",)
    assert contacts.get(sql_ctx, ALICE, "acme-law").details.notes == "new"


def test_suggested_contacts_for_an_incident(sql_ctx: Context) -> None:
    contacts.add(sql_ctx, ALICE, "acme-law", COUNSEL)
    made = incidents.declare(
        sql_ctx, ALICE, title="Customer data taken", kind="personal_data_breach", severity="SEV1"
    )
    _, found = contacts.suggested_for(sql_ctx, ALICE, made.key)
    by = {s.suggestion.category.value: [c.handle for c in s.contacts] for s in found}
    assert by["outside_counsel"] == ["acme-law"]
    assert by["insurer"] == [] and by["forensics"] == [] and by["regulator"] == []


class Recorded:
    """A stand-in for the impact statement feature: what the port will report once it exists."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def first_version_at(self, uow: UnitOfWork, incident: Incident) -> Observation:
        return Observation(True, self.at, "impact statement version 1")


def test_a_whole_exercise_from_start_to_report(sql_ctx: Context) -> None:
    clock = clock_of(sql_ctx)
    entry = SCENARIOS.get("cloud-credentials-breach")
    scenario = entry.value
    started = clock.now()
    ex = exercises.start(sql_ctx, ALICE, scenario, entry.data)
    assert ex.key == "EX-2026-1" and len(ex.releases) == 1
    exercise, incident = exercises.get(sql_ctx, BOB, ex.key)
    assert incident.exercise and incident.title == scenario.start.title
    assert exercise.scenario == scenario

    clock.advance(minutes=3)
    incidents.assign_role(sql_ctx, ALICE, incident.key, Role.INCIDENT_LEAD, "alice")
    clock.advance(minutes=2)
    incidents.assign_role(sql_ctx, ALICE, incident.key, Role.TECHNICAL_LEAD, "bob")
    with pytest.raises(PermissionDenied, match="facilitator"):
        exercises.release(sql_ctx, BOB, ex.key)
    for inject in scenario.injects[1:]:
        clock.current = started + timedelta(minutes=inject.at)
        if inject.at == 30:
            # late on purpose: the classification was due by minute 25
            incidents.update(
                sql_ctx, BOB, incident.key, {"kind": "supply_chain_breach", "severity": "SEV1"}
            )
        exercises.release(sql_ctx, ALICE, ex.key)
    with pytest.raises(Conflict, match="all 6 injects"):
        exercises.release(sql_ctx, ALICE, ex.key)
    clock.current = started + timedelta(minutes=52)
    exercises.decide(
        sql_ctx, BOB, ex.key, "We approve the customer notice on paper",
        meets=["customer-notice-approved"],
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="no expectation"):
        exercises.decide(sql_ctx, BOB, ex.key, "x", meets=["telepathy"])
    clock.current = started + timedelta(minutes=60)
    ended = exercises.end(sql_ctx, ALICE, ex.key)
    with pytest.raises(Conflict, match="ended"):
        exercises.decide(sql_ctx, BOB, ex.key, "too late")

    report = exercises.report(sql_ctx, ADMIN, ex.key, untracked.signals())
    outcome = {r.expectation.id: r.outcome for r in report.results}
    assert outcome == {
        "lead-assigned": Outcome.MET,
        "lead-not-investigator": Outcome.MET,
        "aware-at-recorded": Outcome.MISSED,
        "playbook-applied": Outcome.MISSED,
        "classified-supply-chain": Outcome.LATE,
        "comms-lead-assigned": Outcome.MISSED,
        "mitigation-reached": Outcome.MISSED,
        "impact-statement-started": Outcome.NOT_MEASURED,
        "keys-decision": Outcome.MISSED,
        "obligations-computed": Outcome.NOT_MEASURED,
        "deadlines-met": Outcome.NOT_MEASURED,
        "customer-notice-approved": Outcome.MET,  # recorded by hand
    }
    # 2 met + 1 by hand, 1 late (½), 5 missed; 3 not measured are left out: 3.5 of 9
    assert report.score == round(100 * 3.5 / 9)
    assert report.not_measured == (
        "impact-statement-started",
        "obligations-computed",
        "deadlines-met",
    )
    assert report.injects_released == 6 and report.decisions == 1
    assert any(lesson.startswith("Late by 5 min") for lesson in report.lessons)
    assert any("Missed — playbook customer-credentials-exposed" in x for x in report.lessons)
    assert ended.ended_at == started + timedelta(minutes=60)

    # once the impact statement feature reports through its port, the item is scored
    signals = untracked.signals()
    plugged = type(signals)(
        impact=Recorded(started + timedelta(minutes=20)),
        obligations=signals.obligations,
        notices=signals.notices,
        customers=signals.customers,
        inventory=signals.inventory,
        action_items=signals.action_items,
    )
    again = exercises.report(sql_ctx, ADMIN, ex.key, plugged)
    assert {r.expectation.id: r.outcome for r in again.results}[
        "impact-statement-started"
    ] is Outcome.MET

    # what is done after the exercise ended does not count: the comms lead stays missed
    clock.current = started + timedelta(minutes=75)
    incidents.assign_role(sql_ctx, ALICE, incident.key, Role.COMMS_LEAD, "carol")
    later = exercises.report(sql_ctx, ADMIN, ex.key, untracked.signals())
    missed = {r.expectation.id: r for r in later.results}["comms-lead-assigned"]
    assert missed.outcome is Outcome.MISSED and "after the exercise ended" in missed.evidence
    assert later.score == report.score

    kinds = [e.kind for e in timeline_service.show(sql_ctx, ADMIN, incident.key)]
    assert kinds.count(EntryKind.INJECT) == 6 and kinds.count(EntryKind.DECISION) == 1
    recorded = actions(sql_ctx)
    assert recorded.count("exercise.release") == 6
    assert {"exercise.start", "exercise.decide", "exercise.end"} <= set(recorded)
    assert [e.key for e in exercises.list_exercises(sql_ctx, VIEWER)] == [ex.key]
    found = exercises.for_incident(sql_ctx, VIEWER, incident.key)
    assert found is not None and found.key == ex.key and len(found.releases) == 6
    plain = incidents.declare(sql_ctx, ALICE, title="Drill without a scenario", exercise=True)
    assert exercises.for_incident(sql_ctx, ALICE, plain.key) is None


def test_an_exercise_scores_the_customer_notice_from_its_statements(sql_ctx: Context) -> None:
    clock = clock_of(sql_ctx)
    entry = SCENARIOS.get("cloud-credentials-breach")
    started = clock.now()
    ex = exercises.start(sql_ctx, ALICE, entry.value, entry.data)
    _, incident = exercises.get(sql_ctx, ALICE, ex.key)
    signals = replace(untracked.signals(), notices=StatementNoticeRecords())
    for role, person in (("incident_lead", "bob"), ("counsel", "erin"), ("comms_lead", "alice")):
        incidents.assign_role(sql_ctx, ALICE, incident.key, role, person)

    def notice_result() -> Result:
        report = exercises.report(sql_ctx, ALICE, ex.key, signals)
        return {r.expectation.id: r for r in report.results}["customer-notice-approved"]

    def through_review(number: int) -> None:
        statements.submit(sql_ctx, ALICE, incident.key, number)
        statements.approve(sql_ctx, ERIN, incident.key, number)
        statements.approve(sql_ctx, BOB, incident.key, number)

    assert notice_result().outcome is Outcome.PENDING  # measured: not "done on paper" any more
    with pytest.raises(InvalidInput, match="is an exercise"):
        statements.draft(
            sql_ctx, ALICE, incident.key, kind="customer_notice", audience="affected_customers",
            channels="email", title="Rotate your keys", body="Your keys were exposed.",
        )  # fmt: skip
    clock.current = started + timedelta(minutes=20)
    statements.draft(
        sql_ctx, ALICE, incident.key, kind="update", audience="internal", channels="email",
        title="Where we are", body="We are looking at the snapshot.",
    )  # fmt: skip
    through_review(1)
    statements.publish(sql_ctx, ALICE, incident.key, 1)
    assert notice_result().outcome is Outcome.PENDING  # an internal update is no customer notice

    clock.current = started + timedelta(minutes=40)
    statements.draft(
        sql_ctx, ALICE, incident.key, kind="customer_notice", audience="internal",
        channels="email", title="Rotate your keys", body="Your keys were exposed.",
    )  # fmt: skip
    statements.submit(sql_ctx, ALICE, incident.key, 2)
    statements.approve(sql_ctx, ERIN, incident.key, 2)
    assert notice_result().outcome is Outcome.PENDING  # half-way through review
    clock.current = started + timedelta(minutes=50)
    statements.approve(sql_ctx, BOB, incident.key, 2)
    met = notice_result()
    assert met.outcome is Outcome.MET and met.done_at == started + timedelta(minutes=50)
    assert met.evidence.startswith("statement #2 (Rotate your keys) approved")

    # ending the exercise keeps what was done while it ran
    clock.current = started + timedelta(minutes=56)
    exercises.end(sql_ctx, ALICE, ex.key)
    assert notice_result().outcome is Outcome.MET


def test_injects_set_incident_facts_and_an_interim_report_shows_pending(sql_ctx: Context) -> None:
    clock = clock_of(sql_ctx)
    entry = SCENARIOS.get("token-in-public-repo")
    ex = exercises.start(sql_ctx, ALICE, entry.value, entry.data)
    report = exercises.report(sql_ctx, ALICE, ex.key, untracked.signals())
    assert {r.outcome for r in report.results} <= {Outcome.PENDING, Outcome.NOT_MEASURED}
    assert report.score is None
    clock.advance(minutes=11)
    report = exercises.report(sql_ctx, ALICE, ex.key, untracked.signals())
    outcome = {r.expectation.id: r.outcome for r in report.results}
    assert outcome["lead-assigned"] is Outcome.MISSED and report.score == 0
    assert outcome["classified-breach"] is Outcome.PENDING
    exercises.end(sql_ctx, ALICE, ex.key)  # ended early: nothing is pending any more
    report = exercises.report(sql_ctx, ALICE, ex.key, untracked.signals())
    outcome = {r.expectation.id: r.outcome for r in report.results}
    assert outcome["classified-breach"] is Outcome.MISSED
    assert Outcome.PENDING not in set(outcome.values())


def test_practice_re_runs_a_past_incident(sql_ctx: Context) -> None:
    clock = clock_of(sql_ctx)
    real = incidents.declare(sql_ctx, ALICE, title="Odd logins", summary="Alerts from SSO")
    clock.advance(hours=1)
    incidents.assign_role(sql_ctx, ALICE, real.key, Role.INCIDENT_LEAD, "alice")
    timeline_service.add(sql_ctx, ALICE, real.key, kind="finding", body="Same IP on 3 accounts")
    clock.advance(hours=2)
    incidents.update(sql_ctx, ALICE, real.key, {"severity": "SEV2"})
    incidents.transition(sql_ctx, ALICE, real.key, Phase.MITIGATION)
    clock.advance(hours=1)
    ex = exercises.start_practice(sql_ctx, BOB, real.key)
    assert ex.practice_of == real.key and ex.scenario.name == f"practice-{real.key.lower()}"
    assert [i.text for i in ex.scenario.injects] == ["Alerts from SSO", "Same IP on 3 accounts"]
    ids = {e.id for e in ex.scenario.expectations}
    assert {"incident-lead-assigned", "classified", "mitigation-reached"} <= ids
    _, practice_incident = exercises.get(sql_ctx, BOB, ex.key)
    assert practice_incident.exercise and practice_incident.severity.value == "SEV3"


def test_readiness_reads_the_directory_and_the_last_exercise(sql_ctx: Context) -> None:
    clock = clock_of(sql_ctx)
    configured = readiness.Configured(
        response_plan="https://wiki.example.com/ir",
        playbooks=9,
        playbook_problems=(),
        incident_leads=(),
        cyber_insurance=True,
        security_txt=None,
        security_txt_problem="not configured",
    )
    before = readiness.assess(sql_ctx, ALICE, configured, untracked.signals())
    by = {c.id: c.status for c in before.checks}
    assert by["tabletop_recent"] is Status.FAIL and by["contacts_verified"] is Status.FAIL
    assert by["customer_contacts"] is Status.NOT_MEASURED
    contacts.add(sql_ctx, ALICE, "acme-law", {**COUNSEL, "last_verified_on": "2026-03-01"})
    entry = SCENARIOS.get("insider-export")
    exercises.start(sql_ctx, ALICE, entry.value, entry.data)
    real = incidents.declare(sql_ctx, ALICE, title="Real one")
    incidents.assign_role(sql_ctx, ALICE, real.key, Role.INCIDENT_LEAD, "carol")
    after = readiness.assess(sql_ctx, ALICE, configured, untracked.signals())
    by_after = {c.id: c for c in after.checks}
    assert by_after["tabletop_recent"].status is Status.PASS
    assert by_after["contacts_verified"].status is Status.PASS
    assert (
        by_after["leads_named"].status is Status.WARN and "carol" in by_after["leads_named"].detail
    )
    assert after.score is not None and before.score is not None and after.score > before.score
    clock.current = datetime(2027, 3, 2, tzinfo=UTC)
    later = {
        c.id: c.status
        for c in readiness.assess(sql_ctx, ALICE, configured, untracked.signals()).checks
    }
    assert later["tabletop_recent"] is Status.WARN and later["contacts_verified"] is Status.FAIL
