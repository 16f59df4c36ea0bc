"""The worker's jobs: deliver the outbox, remind of overdue findings reviews (issue 5) and of
obligation deadlines (issue 6)."""

from __future__ import annotations

from datetime import timedelta

from candor.domain.access import SYSTEM
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict
from candor.domain.findings import DueFinding, review_status
from candor.domain.incidents import Incident
from candor.domain.obligations.reminders import Reminder
from candor.domain.outbox import Channel
from candor.domain.timeline import EntryKind, draft
from candor.domain.vocabulary import Role
from candor.services import obligation_reminders, outbox
from candor.services.context import Context
from candor.services.jobs import JobEnv, job
from candor.services.ports import UnitOfWork
from candor.services.ports_delivery import with_delivery
from candor.services.ports_impact import with_impact


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


def _finding_reminder(ctx: Context, incident_id: object, due: DueFinding) -> str | None:
    now = ctx.clock.now()
    key = due.reminder_key
    with ctx.uow(write=True) as base:
        uow = with_delivery(base)
        if uow.outbox.get(key) is not None:
            return None  # sent in an earlier run, or by another worker
        incident = uow.incidents.get_by_id(due.finding.incident_id)
        if incident is None or not incident.is_open:
            return None
        lead = incident.roles.get(Role.INCIDENT_LEAD)
        owner = due.finding.author
        recipient = address_of(uow, owner)
        person = owner
        if recipient is None:
            recipient, person = address_of(uow, lead), lead or ""
        if recipient is None:
            return None  # nobody to tell yet; tried again next run
        text = _finding_text(incident, due)
        outbox.enqueue(
            uow,
            key=key,
            channel=Channel.EMAIL,
            recipient=recipient,
            subject=f"[{incident.key}] Finding waiting for review: {due.finding.summary[:80]}",
            body=text,
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
                body=f"Reminder sent to {person}: a finding waits for review since "
                f"{due.due_at:%Y-%m-%d %H:%M} UTC: {due.finding.summary[:200]}",
                data={"reminder": key, "finding": str(due.finding.id), "to": person},
            ),
            recorded_at=now,
        )
        uow.audit.append(
            AuditDraft(
                at=now,
                actor=SYSTEM.username,
                action="finding.reminder",
                target_type="finding",
                target_id=str(due.finding.id),
                incident_key=incident.key,
                after={"key": key, "to": person},
                detail=f"timeline #{entry.seq}",
            )
        )
        uow.commit()
    return f"{incident.key} {person}"


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
    sent: list[str] = []
    for item in due:
        if not env.keep_going():
            break
        try:
            shown = _finding_reminder(env.ctx, item.finding.incident_id, item)
        except Conflict:
            continue  # another worker recorded it at the same moment
        if shown:
            sent.append(shown)
    return f"{len(sent)} finding reminder{'s' if len(sent) != 1 else ''}"


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
