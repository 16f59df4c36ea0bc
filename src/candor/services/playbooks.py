"""Use cases for playbooks: declare an incident with one, or apply one to an incident later.

The incident, every task and the timeline entry that says which playbook was applied are written
in one transaction: a response never starts with half a checklist.
"""

from __future__ import annotations

from datetime import datetime

from candor.domain import timeline
from candor.domain.access import Actor, require_write
from candor.domain.audit import AuditDraft
from candor.domain.errors import Conflict
from candor.domain.incidents import Incident
from candor.domain.playbooks import Playbook, plan_tasks
from candor.domain.tasks import Task
from candor.domain.timeline import EntryKind
from candor.domain.vocabulary import Confidentiality, Kind, Severity
from candor.services import tasks
from candor.services.context import Context
from candor.services.incidents import declare_in, load
from candor.services.ports import UnitOfWork


def declare(
    ctx: Context,
    actor: Actor,
    playbook: Playbook | None,
    *,
    title: str,
    summary: str = "",
    kind: Kind | str = Kind.SECURITY_INCIDENT,
    severity: Severity | str = Severity.SEV3,
    confidentiality: Confidentiality | str = Confidentiality.NORMAL,
    exercise: bool = False,
    detected_at: datetime | None = None,
    aware_at: datetime | None = None,
) -> tuple[Incident, list[Task]]:
    """Declare an incident and create its playbook's tasks (the web form and the CLI call this;
    without a playbook it is a plain declaration)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = declare_in(
            ctx,
            uow,
            actor,
            title=title,
            summary=summary,
            kind=kind,
            severity=severity,
            confidentiality=confidentiality,
            exercise=exercise,
            detected_at=detected_at,
            aware_at=aware_at,
            now=now,
        )
        created = apply_in(ctx, uow, actor, incident, playbook, now=now) if playbook else []
        uow.commit()
    return incident, created


def apply(ctx: Context, actor: Actor, key: str, playbook: Playbook) -> list[Task]:
    """Apply a playbook to an incident already declared (e.g. once triage shows what it is)."""
    now = ctx.clock.now()
    with ctx.uow(write=True) as uow:
        incident = load(uow, actor, key)
        require_write(actor, incident)
        created = apply_in(ctx, uow, actor, incident, playbook, now=now)
        uow.commit()
    return created


def apply_in(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    incident: Incident,
    playbook: Playbook,
    *,
    now: datetime,
) -> list[Task]:
    if any(t.source == playbook.source for t in uow.tasks.list(incident.id)):
        raise Conflict(f"playbook {playbook.name} was already applied to {incident.key}")
    entry = uow.timeline.append(
        incident.id,
        timeline.draft(
            kind=EntryKind.SYSTEM,
            author=actor.username,
            occurred_at=now,
            body=f"Playbook {playbook.name} ({playbook.title}, version {playbook.version}) "
            f"applied: {len(playbook.tasks)} tasks across "
            f"{', '.join(p.value for p in playbook.phases())}.",
            data={"playbook": playbook.name, "version": playbook.version},
        ),
        recorded_at=now,
    )
    created = [
        tasks.add_in(
            ctx,
            uow,
            actor,
            incident.key,
            incident.id,
            title=planned.title,
            owner=planned.owner,
            due_at=planned.due_at,
            phase=planned.phase,
            notes=planned.notes,
            source=playbook.source,
            now=now,
        )
        for planned in plan_tasks(playbook, incident, now=now)
    ]
    uow.audit.append(
        AuditDraft(
            at=now,
            actor=actor.username,
            action="playbook.apply",
            target_type="incident",
            target_id=str(incident.id),
            incident_key=incident.key,
            after={
                "playbook": playbook.name,
                "version": playbook.version,
                "tasks": [t.seq for t in created],
                "timeline_entry": entry.seq,
            },
        )
    )
    return created
