"""Internal status reports on SQLite and PostgreSQL, with a fake clock: when the next one is due,
editing the draft before posting (audited), and the worker's reminder to the communications
lead, once per due report."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from candor.domain.audit import AuditFilter
from candor.domain.errors import Conflict, InvalidInput
from candor.domain.outbox import Channel
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Role
from candor.services import (
    audit,
    delivery_jobs,
    impact,
    incidents,
    outbox,
    status_reports,
    timeline,
)
from candor.services.context import Context
from candor.services.jobs import JobEnv
from candor.services.ports_delivery import DeliverySetup, Transport
from tests.conftest import ADMIN, ALICE
from tests.contract.test_reminder_jobs import with_address
from tests.fakes import FakeClock


def no_transport(channel: Channel) -> Transport:
    raise AssertionError("reminders only queue")


def sev2(ctx: Context) -> str:
    return incidents.declare(ctx, ALICE, title="Keys read", severity="SEV2").key


def reminders(ctx: Context) -> list[str]:
    return [
        m.recipient
        for m in outbox.messages(ctx, ADMIN, limit=100)
        if m.key.startswith("status-report:")
    ]


def test_the_next_report_falls_due_by_severity_and_moves_when_one_is_posted(
    sql_ctx: Context, clock: FakeClock
) -> None:
    declared = clock.now()
    key = sev2(sql_ctx)
    due = status_reports.schedule(sql_ctx, ALICE, key)
    assert due.due_at == declared + timedelta(hours=4) and not due.overdue
    assert due.last_report_at is None
    clock.advance(hours=4)
    assert status_reports.schedule(sql_ctx, ALICE, key).overdue  # due at exactly 4 hours
    clock.advance(minutes=30)
    status_reports.post(sql_ctx, ALICE, key)
    after = status_reports.schedule(sql_ctx, ALICE, key)
    assert after.last_report_at == clock.now()
    assert after.due_at == clock.now() + timedelta(hours=4) and not after.overdue
    incidents.update(sql_ctx, ALICE, key, {"severity": "SEV4"}, reason="contained, low impact")
    assert status_reports.schedule(sql_ctx, ALICE, key).due_at is None


def test_an_edited_report_is_posted_and_the_audit_keeps_the_draft(sql_ctx: Context) -> None:
    key = sev2(sql_ctx)
    impact.save_version(
        sql_ctx,
        ALICE,
        key,
        reason="first",
        based_on=None,
        sections={"what_we_did": "Rotated every key.", "open_questions": "How did they get in?"},
    )
    drafted = status_reports.draft(sql_ctx, ALICE, key)
    assert drafted.impact_version == 1 and "Rotated every key." in drafted.actions
    posted = status_reports.post(
        sql_ctx,
        ALICE,
        key,
        edit=status_reports.Edit(
            conditions=["SEV2, contained.", "  "],
            actions=["Rotated every key.", "Told the board."],
            needs=["Answer: how did they get in?"],
            impact_version=1,
        ),
    )
    assert posted.conditions == ("SEV2, contained.",)
    assert posted.actions == ("Rotated every key.", "Told the board.")
    entry = timeline.show(sql_ctx, ALICE, key, newest_first=True, limit=1)[0]
    assert entry.kind is EntryKind.STATUS_REPORT
    assert "- Told the board." in entry.body
    assert json.loads(entry.data_json)["edited"] is True
    record = audit.list_records(
        sql_ctx, ADMIN, AuditFilter(incident_key=key, action_prefix="status_report.post")
    )[0]
    before = json.loads(record.before_json or "{}")
    after = json.loads(record.after_json or "{}")
    assert before["actions"] == list(drafted.actions)
    assert after["actions"] == ["Rotated every key.", "Told the board."]
    assert after["edited"] is True and record.detail == "edited from the draft"


def test_editing_refuses_a_stale_draft_and_an_empty_report(sql_ctx: Context) -> None:
    key = sev2(sql_ctx)
    stale = status_reports.Edit(conditions=["x"], actions=[], needs=[], impact_version=None)
    impact.save_version(
        sql_ctx, ALICE, key, reason="first", based_on=None, sections={"what_happened": "y"}
    )
    with pytest.raises(Conflict, match="changed while you edited"):
        status_reports.post(sql_ctx, ALICE, key, edit=stale)
    with pytest.raises(InvalidInput) as empty:
        status_reports.post(
            sql_ctx, ALICE, key, edit=replace(stale, conditions=[" "], impact_version=1)
        )
    assert [p.field for p in empty.value.problems] == ["conditions"]
    assert status_reports.schedule(sql_ctx, ALICE, key).last_report_at is None  # nothing posted


def test_the_comms_lead_is_reminded_once_per_due_report(sql_ctx: Context, clock: FakeClock) -> None:
    ctx = replace(sql_ctx, delivery=DeliverySetup(own_domains=("example.org",)))
    with_address(ctx, "bob", "bob@example.org")
    with_address(ctx, "carol", "carol@example.org")
    key = sev2(ctx)
    incidents.assign_role(ctx, ALICE, key, Role.INCIDENT_LEAD, "carol")
    incidents.assign_role(ctx, ALICE, key, Role.COMMS_LEAD, "bob")
    env = JobEnv(ctx, no_transport, "w1")
    clock.advance(hours=3, minutes=59)
    assert delivery_jobs.status_reports_reminders(env) == "0 status report reminders"
    clock.advance(minutes=1)
    assert delivery_jobs.status_reports_reminders(env) == "1 status report reminder"
    for _ in range(3):
        clock.advance(minutes=20)
        assert delivery_jobs.status_reports_reminders(env) == "0 status report reminders"
    assert reminders(ctx) == ["bob@example.org"]
    entries = [e.body for e in timeline.show(ctx, ALICE, key) if e.body.startswith("Reminder sent")]
    assert entries == [
        f"Reminder sent to bob: the internal status report was due at "
        f"{status_reports.schedule(ctx, ALICE, key).due_at:%Y-%m-%d %H:%M} UTC."
    ]
    # posting moves the due time: the next report gets its own reminder, once
    status_reports.post(ctx, ALICE, key)
    clock.advance(hours=4)
    assert delivery_jobs.status_reports_reminders(env) == "1 status report reminder"
    assert delivery_jobs.status_reports_reminders(env) == "0 status report reminders"
    assert reminders(ctx) == ["bob@example.org", "bob@example.org"]
    assert len({m.key for m in outbox.messages(ctx, ADMIN, limit=100)}) == 2


def test_without_a_reachable_comms_lead_the_incident_lead_is_reminded(
    sql_ctx: Context, clock: FakeClock
) -> None:
    key = sev2(sql_ctx)
    incidents.assign_role(sql_ctx, ALICE, key, Role.COMMS_LEAD, "bob")  # bob has no address
    env = JobEnv(sql_ctx, no_transport, "w1")
    clock.advance(hours=5)
    assert delivery_jobs.status_reports_reminders(env) == "0 status report reminders"
    assert reminders(sql_ctx) == []  # nobody to tell yet: tried again next run
    with_address(sql_ctx, "carol", "carol@example.org")
    incidents.assign_role(sql_ctx, ALICE, key, Role.INCIDENT_LEAD, "carol")
    assert delivery_jobs.status_reports_reminders(env) == "1 status report reminder"
    assert reminders(sql_ctx) == ["carol@example.org"]
    record = audit.list_records(
        sql_ctx, ADMIN, AuditFilter(incident_key=key, action_prefix="status_report.reminder")
    )
    assert [json.loads(r.after_json or "{}")["to"] for r in record] == ["carol"]
