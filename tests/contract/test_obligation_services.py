"""Obligations in incidents on SQLite and PostgreSQL: facts versions, recomputation on every
change with the difference on the timeline, tracking and counsel's approval, chained triggers,
reminders exactly once across restarts and crashes, and what exercises read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from candor import config
from candor.adapters import prepare_files, untracked
from candor.adapters.obligations_setup import SettingsObligations
from candor.domain import simulated_time
from candor.domain.access import Actor, OrgRole
from candor.domain.audit import AuditFilter
from candor.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from candor.domain.exercises import Exercise, Outcome, Result
from candor.domain.incidents import Clock, Incident
from candor.domain.obligations.tracking import TrackedObligation, Tracking
from candor.domain.timeline import EntryKind
from candor.services import audit, exercises, incidents, obligation_tracking, obligations
from candor.services import timeline as timeline_service
from candor.services.context import Context
from candor.services.obligation_records import TrackedObligationRecords
from candor.services.obligation_reminders import RemindersFailed, send_deadline_reminders
from tests.conftest import ADMIN, ALICE, BOB, VIEWER
from tests.fakes import FakeClock

COUNSEL = Actor("erin", OrgRole.COUNSEL)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
AWARE = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
FACTS = {
    "data_elements": ["name", "ssn"],
    "risk_of_harm": "likely",
    "affected": {"US-CA": 600, "US-TX": 1200},
}

# EU residents too, so the GDPR's 72 hours fall inside a tabletop's simulated four days
SIMULATED_FACTS = {**FACTS, "affected": {"US-TX": 1200, "IE": 300, "GB": 200}}


@pytest.fixture
def ctx(sql_ctx: Context, tmp_path: Path) -> Context:
    settings = config.Settings(
        home=tmp_path,
        organization={"name": "Example SaaS Inc.", "timezone": "America/New_York"},
        obligations={"establishments": ["US-DE", "IE"], "eu_main_establishment": "IE"},
    )
    clock = sql_ctx.clock
    assert isinstance(clock, FakeClock)
    clock.current = NOW
    return replace(sql_ctx, obligations=SettingsObligations(settings))


def clock_of(ctx: Context) -> FakeClock:
    assert isinstance(ctx.clock, FakeClock)
    return ctx.clock


def breach(ctx: Context, **kwargs: object) -> Incident:
    return incidents.declare(
        ctx,
        ALICE,
        title="Customer records copied from a support tool",
        detected_at=AWARE - timedelta(hours=5),
        aware_at=AWARE,
        **kwargs,  # type: ignore[arg-type]
    )


def tracked(ctx: Context, key: str, rule_id: str, place: str | None = None):  # type: ignore[no-untyped-def]
    view = obligations.overview(ctx, ALICE, key)
    return next(
        o
        for o in view.obligations
        if o.computed.rule_id == rule_id and (place is None or o.computed.jurisdiction == place)
    )


def entries(ctx: Context, key: str) -> list[str]:
    return [
        e.body for e in timeline_service.show(ctx, ALICE, key) if e.kind is EntryKind.OBLIGATION
    ]


def actions(ctx: Context) -> list[str]:
    records = audit.list_records(ctx, ADMIN, AuditFilter(limit=1000, action_prefix="obligation"))
    return [r.action for r in reversed(records)]


def test_facts_are_versioned_with_who_what_and_when(ctx: Context) -> None:
    incident = breach(ctx)
    first = obligations.record_facts(ctx, ALICE, incident.key, FACTS, reason="first count")
    assert first.changed and first.facts is not None and first.facts.version == 1
    clock_of(ctx).advance(hours=2)
    second = obligations.record_facts(
        ctx, BOB, incident.key, {"affected": {"US-CA": 650, "US-TX": 1200}}, expected_version=1
    )
    assert second.facts is not None and second.facts.version == 2
    unchanged = obligations.record_facts(ctx, BOB, incident.key, {"risk_of_harm": "likely"})
    assert not unchanged.changed and unchanged.facts == second.facts
    with pytest.raises(Conflict, match="now version 2; you edited version 1"):
        obligations.record_facts(ctx, ALICE, incident.key, {"encrypted": True}, expected_version=1)
    history = obligations.facts_history(ctx, ALICE, incident.key)
    assert [(v.version, v.recorded_by) for v in history] == [(1, "alice"), (2, "bob")]
    assert history[1].recorded_at == NOW + timedelta(hours=2)
    assert [c.describe() for c in history[1].changes] == [
        "affected: US-CA 600, US-TX 1200 → US-CA 650, US-TX 1200"
    ]
    assert history[1].facts["affected"].source.value == "manual"
    bodies = entries(ctx, incident.key)
    assert bodies[0].startswith("Obligation facts version 1 (manual)")
    assert "Reason: first count" in bodies[0]
    assert any(b.startswith("Obligation facts version 2 (manual): affected") for b in bodies)
    assert actions(ctx).count("obligation.facts") == 2
    with pytest.raises(PermissionDenied):
        obligations.record_facts(ctx, VIEWER, incident.key, {"encrypted": True})
    with pytest.raises(InvalidInput) as bad:
        obligations.record_facts(
            ctx, ALICE, incident.key, {"notified": {"us-ca-individualz": "2026-11-21T10:00Z"}}
        )
    assert bad.value.problems[0].field == "notified.us-ca-individualz"


def test_obligations_are_recomputed_on_facts_and_clock_changes_with_the_difference(
    ctx: Context,
) -> None:
    incident = breach(ctx)
    made = obligations.record_facts(ctx, ALICE, incident.key, FACTS)
    added = {(c.kind.value, c.rule_id, c.jurisdiction) for c in made.obligation_changes}
    assert ("added", "us-ca-individuals", "US-CA") in added
    assert ("added", "us-tx-regulator", "US-TX") in added
    residents = tracked(ctx, incident.key, "us-tx-individuals")
    before = residents.computed.deadline
    assert before is not None
    # awareness was a day earlier than first recorded: the aware-based clocks move on their own
    incidents.set_clock(ctx, ALICE, incident.key, Clock.DETECTED_AT, AWARE - timedelta(days=1))
    moved = tracked(ctx, incident.key, "us-tx-individuals")
    assert moved.computed.deadline is not None and moved.computed.deadline < before
    assert any(
        b.startswith("Obligations recomputed (detected_at changed)") and "deadline moved" in b
        for b in entries(ctx, incident.key)
    )
    # fewer Texans than the regulator threshold: that notice drops out, with the reason
    obligations.record_facts(ctx, ALICE, incident.key, {"affected": {"US-CA": 600, "US-TX": 90}})
    gone = tracked(ctx, incident.key, "us-tx-regulator")
    assert not gone.active and gone.removed_reason
    assert any("no longer triggered" in b for b in entries(ctx, incident.key))
    view = obligations.overview(ctx, ALICE, incident.key)
    assert not view.stale and gone in view.inactive
    assert "obligation.recompute" in actions(ctx)


def test_without_an_awareness_time_facts_are_kept_and_the_reason_is_shown(ctx: Context) -> None:
    incident = incidents.declare(ctx, ALICE, title="Odd access pattern")
    obligations.record_facts(ctx, ALICE, incident.key, FACTS)
    view = obligations.overview(ctx, ALICE, incident.key)
    assert view.obligations == () and view.missing is not None and "aware_at" in view.missing
    assert any("Obligations not recomputed" in b for b in entries(ctx, incident.key))
    incidents.set_clock(ctx, ALICE, incident.key, Clock.AWARE_AT, AWARE)
    assert obligations.overview(ctx, ALICE, incident.key).obligations


def test_filing_tracks_the_notice_and_starts_the_clocks_chained_to_it(ctx: Context) -> None:
    incident = breach(ctx)
    obligations.record_facts(ctx, ALICE, incident.key, FACTS)
    regulator = tracked(ctx, incident.key, "us-ca-regulator")
    assert regulator.computed.status.value == "pending_trigger"
    assert regulator.computed.deadline is None
    filed = obligation_tracking.file(
        ctx,
        BOB,
        incident.key,
        "us-ca-individuals",
        filed_at=NOW - timedelta(hours=1),
        reference="Mailing batch 7, 600 letters",
        attachment="attachment:letters.pdf",
    )
    assert filed.state is Tracking.FILED and filed.filing is not None
    assert (filed.filing.by, filed.filing.at) == ("bob", NOW - timedelta(hours=1))
    regulator = tracked(ctx, incident.key, "us-ca-regulator")
    assert regulator.computed.status.value == "required"
    assert regulator.computed.trigger_at == NOW - timedelta(hours=1)
    assert regulator.computed.deadline is not None and regulator.computed.deadline > NOW
    bodies = entries(ctx, incident.key)
    assert any(b.startswith("Filed: obligation #") and "Mailing batch 7" in b for b in bodies)
    assert any("(obligation #" in b and "filed)" in b and "us-ca-regulator" in b for b in bodies), (
        bodies
    )
    with pytest.raises(Conflict, match="already recorded as filed"):
        obligation_tracking.file(ctx, BOB, incident.key, "us-ca-individuals", reference="again")
    with pytest.raises(NotFound):
        obligation_tracking.file(ctx, BOB, incident.key, "99", reference="x")
    assert actions(ctx).count("obligation.file") == 1


def test_not_required_is_proposed_by_a_responder_and_decided_by_counsel(ctx: Context) -> None:
    incident = breach(ctx)
    obligations.record_facts(ctx, ALICE, incident.key, FACTS)
    handle = str(tracked(ctx, incident.key, "us-tx-regulator").seq)
    with pytest.raises(PermissionDenied):
        obligation_tracking.propose_not_required(ctx, VIEWER, incident.key, handle, text="x")
    obligation_tracking.propose_not_required(
        ctx, ALICE, incident.key, handle, text="The 1,200 are business contacts, not residents."
    )
    for who in (BOB, ADMIN):
        with pytest.raises(PermissionDenied, match="counsel role"):
            obligation_tracking.approve_not_required(ctx, who, incident.key, handle)
    assert tracked(ctx, incident.key, "us-tx-regulator").state is Tracking.NOT_REQUIRED_PROPOSED
    rejected = obligation_tracking.reject_not_required(
        ctx, COUNSEL, incident.key, handle, reason="They are Texas residents; notify."
    )
    assert rejected.state is Tracking.PENDING
    obligation_tracking.propose_not_required(
        ctx, ALICE, incident.key, handle, text="Counts corrected: 140 Texans, under 250."
    )
    clock_of(ctx).advance(minutes=30)
    approved = obligation_tracking.approve_not_required(ctx, COUNSEL, incident.key, handle)
    assert approved.state is Tracking.NOT_REQUIRED and approved.determination is not None
    assert approved.determination.approved_by == "erin"
    assert approved.determination.approved_at == NOW + timedelta(minutes=30)
    assert approved.determination.proposed_by == "alice"
    bodies = entries(ctx, incident.key)
    assert any(b.startswith("Not required — approved by counsel erin") for b in bodies)
    assert any("rejected by counsel erin" in b for b in bodies)
    assert [a for a in actions(ctx) if "not_required" in a] == [
        "obligation.propose_not_required",
        "obligation.reject_not_required",
        "obligation.propose_not_required",
        "obligation.approve_not_required",
    ]


def test_a_restricted_incident_s_obligations_are_invisible_to_non_members(ctx: Context) -> None:
    incident = breach(ctx, confidentiality="restricted")
    obligations.record_facts(ctx, ALICE, incident.key, FACTS)
    for call in (
        lambda: obligations.overview(ctx, BOB, incident.key),
        lambda: obligation_tracking.file(ctx, BOB, incident.key, "1", reference="x"),
    ):
        with pytest.raises(NotFound):
            call()
    assert obligations.upcoming(ctx, BOB) == []
    assert obligations.upcoming(ctx, ALICE)


def reminder_entries(ctx: Context, key: str) -> list[str]:
    return [b for b in entries(ctx, key) if "reminder:" in b or b.startswith("Overdue:")]


def test_reminders_are_sent_once_however_often_the_job_runs(ctx: Context) -> None:
    incident = breach(ctx)
    obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    regulator = tracked(ctx, incident.key, "us-tx-regulator")
    deadline = regulator.computed.deadline
    assert deadline is not None
    clock = clock_of(ctx)
    mine = f"#{regulator.seq} "
    clock.current = deadline - timedelta(hours=73)
    assert mine not in send_deadline_reminders(ctx, clock.current)
    clock.current = deadline - timedelta(hours=71)
    summary = send_deadline_reminders(ctx, clock.current)
    assert f"#{regulator.seq} 72h" in summary
    for _ in range(3):  # a restarted worker runs again at the same moment
        assert mine not in send_deadline_reminders(ctx, clock.current)
    clock.current = deadline - timedelta(hours=3)  # the 24-hour run was missed
    assert f"#{regulator.seq} 4h" in send_deadline_reminders(ctx, clock.current)
    clock.current = deadline + timedelta(minutes=1)
    assert f"#{regulator.seq} overdue" in send_deadline_reminders(ctx, clock.current)
    clock.current = deadline + timedelta(days=2)
    assert mine not in send_deadline_reminders(ctx, clock.current)
    texts = [t for t in reminder_entries(ctx, incident.key) if f"obligation #{regulator.seq}," in t]
    assert [t.split(":")[0] for t in texts] == ["72 h reminder", "4 h reminder", "Overdue"]
    assert "stands for the 24h reminder" in texts[1]
    assert actions(ctx).count("obligation.reminder") >= 3


def test_a_run_killed_before_its_commit_leaves_nothing_and_the_next_run_sends_it(
    ctx: Context,
) -> None:
    incident = breach(ctx)
    obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    deadline = tracked(ctx, incident.key, "us-tx-regulator").computed.deadline
    assert deadline is not None
    now = deadline - timedelta(hours=20)
    queued: list[str] = []

    def crash(uow: object, incident: Incident, reminder: object, text: str) -> None:
        raise KeyboardInterrupt  # the worker is killed after emitting, before the commit

    with pytest.raises(KeyboardInterrupt):
        send_deadline_reminders(ctx, now, emit=crash)
    assert reminder_entries(ctx, incident.key) == []

    def outbox(uow: object, incident: Incident, reminder: object, text: str) -> None:
        queued.append(text)

    summary = send_deadline_reminders(ctx, now, emit=outbox)
    assert "24h" in summary and len(queued) == len(reminder_entries(ctx, incident.key)) >= 1
    assert send_deadline_reminders(ctx, now, emit=outbox).startswith("0 deadline reminders")
    assert len(queued) == len(reminder_entries(ctx, incident.key))


def test_a_failing_reminder_does_not_hold_back_the_others(ctx: Context) -> None:
    first = breach(ctx)
    second = breach(ctx)
    for incident in (first, second):
        obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    deadline = tracked(ctx, first.key, "us-tx-regulator").computed.deadline
    assert deadline is not None

    def refuse_first(uow: object, incident: Incident, reminder: object, text: str) -> None:
        if incident.key == first.key:
            raise OSError("outbox full")

    with pytest.raises(RemindersFailed, match="outbox full"):
        send_deadline_reminders(ctx, deadline - timedelta(hours=1), emit=refuse_first)
    assert reminder_entries(ctx, first.key) == []
    assert reminder_entries(ctx, second.key)


def test_filed_obligations_are_not_reminded(ctx: Context) -> None:
    incident = breach(ctx)
    obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    ob = tracked(ctx, incident.key, "us-tx-regulator")
    obligation_tracking.file(ctx, ALICE, incident.key, str(ob.seq), reference="AG portal #551")
    assert ob.computed.deadline is not None
    summary = send_deadline_reminders(ctx, ob.computed.deadline + timedelta(hours=1))
    assert f"#{ob.seq} " not in summary


def test_exercises_see_when_obligations_were_computed_and_whether_deadlines_were_met(
    ctx: Context,
) -> None:
    incident = breach(ctx, exercise=True)
    records = TrackedObligationRecords()
    with ctx.uow() as uow:
        assert records.computed_at(uow, incident).at is None
    obligations.record_facts(ctx, ALICE, incident.key, {**FACTS, "affected": {"US-TX": 1200}})
    with ctx.uow() as uow:
        assert records.computed_at(uow, incident).at == NOW
        assert records.deadlines_met(uow, incident, now=NOW).at is None
    for ob in obligations.overview(ctx, ALICE, incident.key).active:
        obligation_tracking.file(ctx, ALICE, incident.key, str(ob.seq), reference="done")
    with ctx.uow() as uow:
        met = records.deadlines_met(uow, incident, now=NOW)
    assert met.measured and met.at == NOW


def _exercise_with_obligations(ctx: Context) -> tuple[Exercise, Incident, list[TrackedObligation]]:
    """The cloud-credentials tabletop (60 minutes for 96 hours), aware at minute 5, with the
    obligations its facts trigger; those due within the simulated 96 hours, soonest first."""
    clock = clock_of(ctx)
    entry = prepare_files.load_scenarios().require().get("cloud-credentials-breach")
    started = clock.now()
    ex = exercises.start(ctx, ALICE, entry.value, entry.data)
    exercise, incident = exercises.get(ctx, ALICE, ex.key)
    clock.current = started + timedelta(minutes=5)
    incidents.set_clock(ctx, ALICE, incident.key, Clock.AWARE_AT, clock.current, reason="bastion")
    obligations.record_facts(ctx, ALICE, incident.key, SIMULATED_FACTS)
    sim = simulated_time.of_exercise(exercise)
    assert sim is not None and sim.scale == 96
    due = [
        o
        for o in obligations.overview(ctx, ALICE, incident.key).active
        if not o.computed.retention
        and o.computed.deadline
        and sim.deadline(o.computed.trigger_at, o.computed.deadline) <= sim.horizon
    ]
    assert len(due) >= 2, [
        (o.computed.label, o.computed.deadline_rule)
        for o in obligations.overview(ctx, ALICE, incident.key).active
    ]
    due.sort(key=lambda o: sim.deadline(o.computed.trigger_at, o.computed.deadline))
    return exercise, incident, due


def _real_minute(exercise: Exercise, ob: TrackedObligation, shift: float) -> datetime:
    """The real moment the obligation's simulated deadline falls, ``shift`` minutes off."""
    sim = simulated_time.of_exercise(exercise)
    assert sim is not None and ob.computed.deadline is not None
    deadline = sim.deadline(ob.computed.trigger_at, ob.computed.deadline)
    return exercise.started_at + deadline / sim.scale + timedelta(minutes=shift)


def _deadlines_result(ctx: Context, key: str) -> Result:
    signals = replace(untracked.signals(), obligations=TrackedObligationRecords())
    report = exercises.report(ctx, ALICE, key, signals)
    return {r.expectation.id: r for r in report.results}["deadlines-met"]


def test_an_exercise_judges_obligation_deadlines_in_simulated_time(ctx: Context) -> None:
    clock = clock_of(ctx)
    exercise, incident, due = _exercise_with_obligations(ctx)
    first, last = due[0], due[-1]
    clock.current = _real_minute(exercise, first, -1)
    # in real time the 72 hours are days away; in simulated time the first deadline is a minute off
    assert clock.current < exercise.started_at + timedelta(minutes=60)
    pending = _deadlines_result(ctx, exercise.key)
    assert pending.outcome is Outcome.PENDING and "still open (simulated now" in pending.evidence
    for ob in due[:-1]:  # everything but the last, each a minute before its deadline
        clock.current = max(clock.current, _real_minute(exercise, ob, -1))
        obligation_tracking.file(ctx, ALICE, incident.key, str(ob.seq), reference="on time")
    clock.current = _real_minute(exercise, last, +1)
    overdue = _deadlines_result(ctx, exercise.key)
    assert overdue.outcome is Outcome.PENDING and overdue.done_at is None
    assert f"#{last.seq} still open, deadline" in overdue.evidence and "passed" in overdue.evidence
    obligation_tracking.file(ctx, ALICE, incident.key, str(last.seq), reference="late")
    clock.current = max(clock.current, exercise.started_at + timedelta(minutes=60))
    exercises.end(ctx, ALICE, exercise.key)
    missed = _deadlines_result(ctx, exercise.key)
    assert missed.outcome is Outcome.MISSED
    assert f"late in simulated time: #{last.seq} filed at simulated +" in missed.evidence


def test_an_exercise_meets_its_simulated_deadlines_with_filings_and_counsel(ctx: Context) -> None:
    clock = clock_of(ctx)
    exercise, incident, due = _exercise_with_obligations(ctx)
    first, rest = due[0], due[1:]
    clock.current = _real_minute(exercise, first, -2)
    obligation_tracking.propose_not_required(
        ctx, ALICE, incident.key, str(first.seq), text="the regulator was told through the CSIRT"
    )
    obligation_tracking.approve_not_required(ctx, COUNSEL, incident.key, str(first.seq))
    last = clock.current
    for ob in rest:
        clock.current = max(clock.current, _real_minute(exercise, ob, -1))
        obligation_tracking.file(ctx, ALICE, incident.key, str(ob.seq), reference="on time")
        last = clock.current
    met = _deadlines_result(ctx, exercise.key)
    assert met.outcome is Outcome.MET and met.done_at == last
    assert f"#{first.seq} approved not required at simulated +" in met.evidence
    assert f"#{rest[0].seq} filed at simulated +" in met.evidence and ", deadline +" in met.evidence
