"""The worker's jobs: deliver the outbox, remind of overdue findings reviews and internal status
reports (issue 5) and of obligation deadlines (issue 6)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from candor.domain.access import SYSTEM
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict
from candor.domain.findings import DueFinding, review_status
from candor.domain.incidents import Incident
from candor.domain.obligations.reminders import Reminder
from candor.domain.outbox import Channel
from candor.domain.status_report import StatusSchedule
from candor.domain.timeline import EntryKind, draft
from candor.domain.vocabulary import Role
from candor.services import obligation_reminders, outbox, status_reports
from candor.services.context import Context
from candor.services.jobs import JobEnv, job
from candor.services.ports import UnitOfWork
from candor.services.ports_delivery import with_delivery
from candor.services.ports_impact import with_impact

T = TypeVar("T")


@job("outbox.deliver", every=timedelta(seconds=5))
def deliver_outbox(env: JobEnv) -> str:
    """Deliver queued email and webhook messages."""
    try:
        run = outbox.deliver(env.ctx, env.transports, worker=env.worker, keep_going=env.keep_going)
    finally:
        for channel in Channel:
            env.transports(channel).close()
    return run.summary()


def address_of(uow: UnitOfWork, username: str | None) -> str | None:
    if not username:
        return None
    user = uow.users.get(username)
    if user is None or not user.active or not user.email:
        return None
    return user.email


@dataclass(frozen=True, slots=True)
class _Notice:
    """One reminder to record: the email, its timeline entry and its audit record."""

    key: str
    subject: str
    body: str
    entry: str
    action: str
    target_type: str
    target_id: str
    data: Mapping[str, str] = field(default_factory=dict)


def _first_reachable(uow: UnitOfWork, *people: str | None) -> tuple[str, str] | None:
    """(person, address) of the first one with an address."""
    for person in people:
        address = address_of(uow, person)
        if address is not None and person:
            return person, address
    return None


def _remind(
    ctx: Context, uow: UnitOfWork, incident: Incident, to: tuple[str, str], notice: _Notice
) -> str:
    """Queue the email, write the timeline entry and the audit record, in the caller's
    transaction; the outbox key makes it once."""
    now = ctx.clock.now()
    person, recipient = to
    outbox.enqueue(
        uow,
        key=notice.key,
        channel=Channel.EMAIL,
        recipient=recipient,
        subject=notice.subject,
        body=notice.body,
        now=now,
        incident_id=incident.id,
        exercise=incident.exercise,
        own_domains=ctx.delivery.own_domains,
    )
    entry = uow.timeline.append(
        incident.id,
        draft(
            kind=EntryKind.SYSTEM,
            author=SYSTEM.username,
            occurred_at=now,
            body=f"Reminder sent to {person}: {notice.entry}",
            data={"reminder": notice.key, **notice.data, "to": person},
        ),
        recorded_at=now,
    )
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=SYSTEM.username,
            action=notice.action,
            target_type=notice.target_type,
            target_id=notice.target_id,
            incident_key=incident.key,
            after={"key": notice.key, "to": person},
            detail=f"timeline #{entry.seq}",
        )
    )
    return f"{incident.key} {person}"


def _finding_reminder(ctx: Context, incident_id: object, due: DueFinding) -> str | None:
    key = due.reminder_key
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        if uow.outbox.get(key) is not None:
            return None  # sent in an earlier run, or by another worker
        incident = uow.incidents.get_by_id(due.finding.incident_id)
        if incident is None or not incident.is_open:
            return None
        to = _first_reachable(uow, due.finding.author, incident.roles.get(Role.INCIDENT_LEAD))
        if to is None:
            return None  # nobody to tell yet; tried again next run
        shown = _remind(
            ctx,
            uow,
            incident,
            to,
            _Notice(
                key=key,
                subject=f"[{incident.key}] Finding waiting for review: {due.finding.summary[:80]}",
                body=_finding_text(incident, due),
                entry=f"a finding waits for review since {due.due_at:%Y-%m-%d %H:%M} UTC: "
                f"{due.finding.summary[:200]}",
                action="finding.reminder",
                target_type="finding",
                target_id=str(due.finding.id),
                data={"finding": str(due.finding.id)},
            ),
        )
        uow.commit()
    return shown


def _finding_text(incident: Incident, due: DueFinding) -> str:
    return (
        f"A finding in {incident.key} ({incident.title}) has waited for review since "
        f"{due.due_at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"  {due.finding.summary}\n  source: {due.finding.source}\n\n"
        "Review it on the incident page: integrate it into the impact statement, or dismiss it.\n"
    )


@job("findings.reminders", every=timedelta(minutes=1))
def findings_reminders(env: JobEnv) -> str:
    """Remind the owner (else the incident lead) of each finding overdue for review, once per
    due period."""
    now = env.ctx.clock.now()
    due: list[DueFinding] = []
    with env.ctx.uow() as base:
        uow = with_impact(base)
        for incident_id, items in uow.findings.open_by_incident().items():
            incident = uow.incidents.get_by_id(incident_id)
            if incident is None or not incident.is_open:
                continue
            status = review_status(
                [f for _, _, f in items],
                severity=incident.severity,
                now=now,
                override=uow.impact.cadence(incident.id),
            )
            due += status.overdue
    return _each(
        env,
        due,
        lambda item: _finding_reminder(env.ctx, item.finding.incident_id, item),
        "finding reminder",
    )


def _each(env: JobEnv, items: Sequence[T], send: Callable[[T], str | None], what: str) -> str:
    """Send each reminder in its own transaction while the worker may go on."""
    sent: list[str] = []
    for item in items:
        if not env.keep_going():
            break
        try:
            shown = send(item)
        except Conflict:
            continue  # another worker recorded it at the same moment
        if shown:
            sent.append(shown)
    return f"{len(sent)} {what}{'s' if len(sent) != 1 else ''}"


def _status_reminder(ctx: Context, expected: StatusSchedule) -> str | None:
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        incident = uow.incidents.get_by_id(expected.incident_id)
        if incident is None:
            return None
        # a report posted (or the severity changed) since the job looked moves the due time
        current = status_reports.schedule_in(uow, incident, now=ctx.clock.now())
        key = current.reminder_key
        if key is None or key != expected.reminder_key or current.due_at is None:
            return None
        if uow.outbox.get(key) is not None:
            return None  # sent in an earlier run, or by another worker
        to = _first_reachable(
            uow, incident.roles.get(Role.COMMS_LEAD), incident.roles.get(Role.INCIDENT_LEAD)
        )
        if to is None:
            return None  # nobody to tell yet; tried again next run
        due = f"{current.due_at:%Y-%m-%d %H:%M} UTC"
        shown = _remind(
            ctx,
            uow,
            incident,
            to,
            _Notice(
                key=key,
                subject=f"[{incident.key}] Internal status report due",
                body=(
                    f"The next internal status report of {incident.key} ({incident.title}, "
                    f"{incident.severity.value}) was due at {due}.\n\n"
                    "Draft it from the impact statement on the incident page (or with "
                    f"`candor status-report {incident.key}`), edit it, and post it.\n"
                ),
                entry=f"the internal status report was due at {due}.",
                action="status_report.reminder",
                target_type="incident",
                target_id=str(incident.id),
            ),
        )
        uow.commit()
    return shown


@job("status_reports.reminders", every=timedelta(minutes=1))
def status_reports_reminders(env: JobEnv) -> str:
    """Remind the communications lead (else the incident lead) of each internal status report
    that falls due, once per due report."""
    with env.ctx.uow() as uow:
        due = status_reports.overdue_schedules(uow, now=env.ctx.clock.now())
    return _each(env, due, lambda item: _status_reminder(env.ctx, item), "status report reminder")


@job("obligations.reminders", every=timedelta(minutes=1))
def obligations_reminders(env: JobEnv) -> str:
    """Deadline reminders of open obligations, by email to the incident lead."""
    ctx = env.ctx

    def emit(uow: UnitOfWork, incident: Incident, reminder: Reminder, text: str) -> None:
        lead = incident.roles.get(Role.INCIDENT_LEAD) or incident.declared_by
        recipient = address_of(uow, lead) or address_of(uow, incident.declared_by)
        if recipient is None:
            return  # the timeline entry records the reminder; nobody has an address
        outbox.enqueue(
            uow,
            key=reminder.key,
            channel=Channel.EMAIL,
            recipient=recipient,
            subject=f"[{incident.key}] Deadline reminder",
            body=text + "\n",
            now=ctx.clock.now(),
            incident_id=incident.id,
            exercise=incident.exercise,
            own_domains=ctx.delivery.own_domains,
        )

    return obligation_reminders.send_deadline_reminders(ctx, ctx.clock.now(), emit=emit)
